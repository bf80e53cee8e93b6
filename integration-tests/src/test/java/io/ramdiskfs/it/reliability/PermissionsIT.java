package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.ForNobody;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Who may change what, tested as {@code nobody} on an {@code --allow-other} mount (the kernel
 * checks modes: {@code default_permissions}): a user without write permission on a disk can
 * neither write it nor snapshot, roll back or clone over it; nobody but root may make or delete
 * snapshots in {@code .snap} or create disks in the root (a clone by attribute included, which the
 * kernel cannot see as a create); a disk's own user may write, snapshot and roll back that disk.
 * Every refusal changes nothing. A read-only mount refuses every change of the lifecycle with
 * {@code EROFS}, for root too.
 */
@RequiresFuse(root = true, tools = {"setpriv", "setfattr", "getfattr", "cmp", "cp", "dd", "mkdir", "rmdir", "rm"})
class PermissionsIT {
    static final long DISK = 4 * MiB;
    static final String DENIED = "Permission denied";

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** A world-traversable directory under /tmp: nobody cannot reach a mount inside the checkout's target/. */
    private Path open;

    @BeforeEach
    void openDirectory() throws IOException {
        open = ForNobody.openDirectory("ramdiskfs-perm-");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        disks.releaseAll(); // unmount before the mount point goes
        try (var files = Files.list(open)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(open);
    }

    /** The command as nobody:nogroup with no supplementary groups. */
    private static Cmd.Result asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
        cmd.addAll(List.of(command));
        return Cmd.run(cmd);
    }

    private RamDiskFs mount(boolean readOnly) {
        Path mp = open.resolve("mnt");
        try {
            Files.createDirectory(mp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return disks.mount(io.ramdiskfs.MountOptions.of(mp, List.of(DiskDefinition.ram("root-disk", DISK),
                DiskDefinition.ram("nobodys", DISK))).withAllowOther(true).withReadOnly(readOnly));
    }

    @Test
    void aUserWithoutWritePermissionChangesNothingAndTheOwnerOfADiskOnlyThatDisk() throws IOException {
        RamDiskFs fs = mount(false);
        Path mp = fs.mountPoint();
        Path rootDisk = mp.resolve("root-disk");
        Path nobodys = mp.resolve("nobodys");
        // In the open directory: nobody must read it too, and a clean clone may sit in a mode-700 dir.
        Path content = Data.random(open.resolve("content"), DISK, 21);
        Tools.dd("if=" + content, "of=" + rootDisk, "bs=1M", "conv=notrunc");
        Cmd.ok("chown", "nobody:nogroup", nobodys.toString());
        Cmd.ok("mkdir", mp.resolve(".snap/s1").toString());

        // Reading is allowed: the disk, its snapshot, the attributes.
        asNobody("cmp", content.toString(), rootDisk.toString()).assertOk();
        asNobody("cmp", content.toString(), mp.resolve(".snap/s1/root-disk").toString()).assertOk();
        asNobody("getfattr", "-d", rootDisk.toString()).assertOk();

        // Root's disk: no write, snapshot, rollback or clone of it; nothing in .snap or the root.
        asNobody("dd", "if=/dev/zero", "of=" + rootDisk, "bs=4k", "count=1", "conv=notrunc").assertFailsWith(DENIED);
        asNobody("truncate", "-s", "0", rootDisk.toString()).assertFailsWith(DENIED);
        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "x", rootDisk.toString()).assertFailsWith(DENIED);
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", rootDisk.toString()).assertFailsWith(DENIED);
        asNobody("setfattr", "-n", "user.ramdiskfs.clone", "-v", "c1", rootDisk.toString()).assertFailsWith(DENIED);
        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "x", mp.toString()).assertFailsWith(DENIED);
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", mp.toString()).assertFailsWith(DENIED);
        asNobody("mkdir", mp.resolve(".snap/x").toString()).assertFailsWith(DENIED);
        asNobody("rmdir", mp.resolve(".snap/s1").toString()).assertFailsWith(DENIED);
        asNobody("rm", "-f", mp.resolve(".snap/s1/root-disk").toString()).assertFailsWith(DENIED);
        asNobody("rm", "-f", mp.resolve(".snap/s1/nobodys").toString()).assertFailsWith(DENIED); // its own disk's, root's snapshot
        asNobody("cp", rootDisk.toString(), mp.resolve("c2").toString()).assertFailsWith(DENIED);
        asNobody("mv", nobodys.toString(), mp.resolve("renamed").toString()).assertFailsWith(DENIED);
        asNobody("rm", "-f", rootDisk.toString()).assertFailsWith(DENIED);
        // A snapshot file is 0444: even its disk's owner cannot clone it by attribute (user.* needs write).
        asNobody("setfattr", "-n", "user.ramdiskfs.clone", "-v", "c3", mp.resolve(".snap/s1/nobodys").toString())
                .assertFailsWith(DENIED);
        // Its own disk: a clone would create a disk in the root, which only root may write.
        asNobody("setfattr", "-n", "user.ramdiskfs.clone", "-v", "c4", nobodys.toString()).assertFailsWith(DENIED);

        assertEquals(List.of("nobodys", "root-disk"), Cmd.ok("ls", mp.toString()).out().lines().toList(), "no disk came or went");
        assertEquals(List.of("s1"), Cmd.ok("ls", mp.resolve(".snap").toString()).out().lines().toList(), "no snapshot came or went");
        assertEquals(List.of("nobodys", "root-disk"), Cmd.ok("ls", mp.resolve(".snap/s1").toString()).out().lines().toList());
        Tools.cmp(content, rootDisk);
        Tools.cmp(content, mp.resolve(".snap/s1/root-disk"));

        // The owner of a disk may write it, snapshot it (into .snap, by attribute) and roll it back.
        asNobody("dd", "if=" + content, "of=" + nobodys, "bs=1M", "conv=notrunc").assertOk();
        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "mine", nobodys.toString()).assertOk();
        asNobody("dd", "if=/dev/zero", "of=" + nobodys, "bs=1M", "count=1", "conv=notrunc").assertOk();
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "mine", nobodys.toString()).assertOk();
        Tools.cmp(content, nobodys);
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", nobodys.toString()).assertOk();
        Tools.cmpZeros(nobodys, 0, DISK);
        // ... but not delete that snapshot: .snap and its snapshots are root's.
        asNobody("rmdir", mp.resolve(".snap/mine").toString()).assertFailsWith(DENIED);
        assertEquals("nobody", Cmd.ok("stat", "-c", "%U", mp.resolve(".snap/mine/nobodys").toString()).out());
    }

    @Test
    void aReadOnlyMountRefusesEveryLifecycleChangeWithErofsEvenForRoot() {
        RamDiskFs fs = mount(true);
        Path mp = fs.mountPoint();
        Path disk = mp.resolve("root-disk");
        String rofs = "Read-only file system";
        Cmd.run("mkdir", mp.resolve(".snap/s1").toString()).assertFailsWith(rofs);
        Cmd.run("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s1", disk.toString()).assertFailsWith(rofs);
        Cmd.run("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s1", mp.toString()).assertFailsWith(rofs);
        Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", disk.toString()).assertFailsWith(rofs);
        Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", mp.toString()).assertFailsWith(rofs);
        Cmd.run("setfattr", "-n", "user.ramdiskfs.clone", "-v", "c1", disk.toString()).assertFailsWith(rofs);
        Cmd.run("cp", disk.toString(), mp.resolve("c2").toString()).assertFailsWith(rofs);
        Cmd.run("rmdir", mp.resolve(".snap/s1").toString()).assertFailsWith(rofs);
        asNobody("mkdir", mp.resolve(".snap/s2").toString()).assertFailsWith(rofs);
        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s2", disk.toString()).assertFailsWith(rofs);
        assertEquals("", Cmd.ok("ls", "-A", mp.resolve(".snap").toString()).out());
        assertEquals(List.of("nobodys", "root-disk"), Cmd.ok("ls", mp.toString()).out().lines().toList());
    }
}

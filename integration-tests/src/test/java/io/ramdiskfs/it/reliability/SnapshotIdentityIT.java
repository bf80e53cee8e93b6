package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.ForNobody;
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
 * Issue #20 item 5 through a real mount, with the sequences of the issue: a snapshot belongs to
 * the disk it was taken of, not to its name. Root's 0600 disk {@code secret} in snapshot
 * {@code nightly}, removed, the name given to a disk of {@code nobody}'s: her rollback to
 * {@code nightly} is refused (ENOENT) and she never reads root's data; {@code mv a t; mv b a;
 * mv t b} then a whole-mount rollback gives each disk its own data back, under its new name; and
 * nobody may not add her disk to root's snapshot (EACCES).
 */
@RequiresFuse(root = true, tools = {"setpriv", "setfattr", "getfattr", "cmp", "dd", "mkdir", "mv", "rm", "truncate", "chown", "chmod"})
class SnapshotIdentityIT {
    static final long DISK = 4 * MiB;
    static final String NO_SUCH = "No such file or directory";

    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // snapshots and rollback: RAM disks on either lane

    /** A world-traversable directory under /tmp: nobody cannot reach a mount inside the checkout's target/. */
    private Path open;

    @BeforeEach
    void openDirectory() throws IOException {
        open = ForNobody.openDirectory("ramdiskfs-identity-");
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

    private static Cmd.Result asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"));
        cmd.addAll(List.of(command));
        return Cmd.run(cmd);
    }

    private RamDiskFs mount(DiskDefinition... defs) throws IOException {
        Path mp = Files.createDirectory(open.resolve("mnt"));
        return disks.mount(io.ramdiskfs.MountOptions.of(mp, List.of(defs)).withAllowOther(true));
    }

    private static void setfattr(String name, String value, Path on) {
        Cmd.ok("setfattr", "-n", name, "-v", value, on.toString());
    }

    @Test
    void aNewDiskGivenARemovedDisksNameDoesNotRollBackToItsData() throws IOException {
        RamDiskFs fs = mount(DiskDefinition.ram("secret", DISK));
        Path mp = fs.mountPoint();
        Path secret = mp.resolve("secret");
        Path content = Data.random(open.resolve("content"), DISK, 51);
        Tools.dd("if=" + content, "of=" + secret, "bs=1M", "conv=notrunc");
        Cmd.ok("chmod", "0600", secret.toString());
        Cmd.ok("mkdir", mp.resolve(".snap/nightly").toString());
        Cmd.ok("rm", secret.toString());

        Cmd.ok("truncate", "-s", String.valueOf(DISK), secret.toString());
        Cmd.ok("chown", "nobody:nogroup", secret.toString());
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "nightly", secret.toString()).assertFailsWith(NO_SUCH);
        asNobody("cmp", "-n", String.valueOf(DISK), "/dev/zero", secret.toString()).assertOk();
        assertEquals("", Tools.getfattr(secret).getOrDefault("user.ramdiskfs.snapshots", ""), "no snapshot holds the new disk");

        // The whole mount: nightly's secret is gone, so nothing is rolled back (all or none).
        Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "nightly", mp.toString()).assertFailsWith(NO_SUCH);
        Tools.cmpZeros(secret, 0, DISK);
        // Root still has the old data, in the snapshot: deleting it there lets the rollback go.
        Tools.cmp(content, mp.resolve(".snap/nightly/secret"));
        Cmd.ok("rm", mp.resolve(".snap/nightly/secret").toString());
        setfattr("user.ramdiskfs.rollback", "nightly", mp);
        Tools.cmpZeros(secret, 0, DISK);
    }

    @Test
    void disksSwappedByMvRollBackEachToItsOwnDataUnderItsNewName() throws IOException {
        RamDiskFs fs = mount(DiskDefinition.ram("a", DISK), DiskDefinition.ram("b", DISK));
        Path mp = fs.mountPoint();
        Path dataA = Data.random(open.resolve("data-a"), DISK, 52);
        Path dataB = Data.random(open.resolve("data-b"), DISK, 53);
        Tools.dd("if=" + dataA, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc");
        Tools.dd("if=" + dataB, "of=" + mp.resolve("b"), "bs=1M", "conv=notrunc");
        Cmd.ok("mkdir", mp.resolve(".snap/s").toString());
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("a"), "bs=1M", "count=1", "conv=notrunc");
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("b"), "bs=1M", "count=1", "conv=notrunc");

        Cmd.ok("mv", mp.resolve("a").toString(), mp.resolve("t").toString());
        Cmd.ok("mv", mp.resolve("b").toString(), mp.resolve("a").toString());
        Cmd.ok("mv", mp.resolve("t").toString(), mp.resolve("b").toString());
        setfattr("user.ramdiskfs.rollback", "s", mp);
        Tools.cmp(dataB, mp.resolve("a"));
        Tools.cmp(dataA, mp.resolve("b"));
        assertEquals("s", Tools.getfattr(mp.resolve("a")).get("user.ramdiskfs.snapshots"), "the snapshot follows the disk");

        // One disk: the same, by its new name.
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("a"), "bs=1M", "count=1", "conv=notrunc");
        setfattr("user.ramdiskfs.rollback", "s", mp.resolve("a"));
        Tools.cmp(dataB, mp.resolve("a"));
    }

    @Test
    void aUserMayNotAddHerDiskToRootsSnapshot() throws IOException {
        RamDiskFs fs = mount(DiskDefinition.ram("root-disk", DISK), DiskDefinition.ram("hers", DISK));
        Path mp = fs.mountPoint();
        Path hers = mp.resolve("hers");
        Cmd.ok("chown", "nobody:nogroup", hers.toString());
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "nightly", mp.resolve("root-disk").toString());

        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "nightly", hers.toString()).assertFailsWith("Permission denied");
        assertEquals(List.of("root-disk"), Cmd.ok("ls", mp.resolve(".snap/nightly").toString()).out().lines().toList());
        // Her own snapshot, and root's rollback of the mount is not hers to block.
        asNobody("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "mine", hers.toString()).assertOk();
        asNobody("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "mine", hers.toString()).assertOk();
        setfattr("user.ramdiskfs.rollback", "nightly", mp);
    }
}

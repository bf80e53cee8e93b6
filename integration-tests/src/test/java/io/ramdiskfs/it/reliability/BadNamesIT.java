package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The mount holds only disks: mkdir, symlink, link and mknod of a device or fifo are EPERM;
 * names with '/' never become disks; names over 255 bytes are ENAMETOOLONG. After each, the
 * directory lists only what it did, disk0 is unchanged and the process serves.
 */
@RequiresFuse(tools = {"python3", "mkdir", "ln", "mknod"})
class BadNamesIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    ServingRig rig;
    Path mp;
    Path disk;

    @BeforeEach
    void start() {
        rig = ServingRig.start(disks);
        mp = rig.mountPoint;
        disk = rig.disk;
    }

    @AfterEach
    void nothingUnexpected() {
        rig.assertNothingUnexpectedLogged();
    }

    @Test
    void mkdirSymlinkLinkAndMknodOfDevicesAreEperm() {
        rig.refused("mkdir", "EPERM", Syscalls.call("mkdir", mp.resolve("dir")));
        rig.refused("symlink", "EPERM", Syscalls.call("symlink", "disk0", mp.resolve("sym")));
        rig.refused("hard link", "EPERM", Syscalls.call("link", disk, mp.resolve("hard")));
        rig.refused("mknod of a character device", "EPERM", Syscalls.call("mknod", mp.resolve("chr"), "chr"));
        rig.refused("mknod of a block device", "EPERM", Syscalls.call("mknod", mp.resolve("blk"), "blk"));
        rig.refused("mknod of a fifo", "EPERM", Syscalls.call("mknod", mp.resolve("fifo"), "fifo"));
        Cmd.run("mkdir", mp.resolve("dir2").toString()).assertFailsWith("Operation not permitted");
        Cmd.run("ln", "-s", "disk0", mp.resolve("sym2").toString()).assertFailsWith("Operation not permitted");
        Cmd.run("mknod", mp.resolve("null").toString(), "c", "1", "3").assertFailsWith("Operation not permitted");
        assertEquals(List.of("disk0"), names(), "the directory after refused mkdir/symlink/link/mknod");
        rig.stillServing("mkdir/symlink/link/mknod");
    }

    @Test
    void namesWithASlashNeverBecomeDisks() {
        rig.refused("create a/b (no directory a)", "ENOENT", Syscalls.open(mp.resolve("a/b"), "create"));
        rig.refused("create disk0/x (below a disk)", "ENOTDIR", Syscalls.open(mp.resolve("disk0/x"), "create"));
        rig.refused("rename disk0 to x/y", "ENOENT", Syscalls.call("rename", disk, mp.resolve("x/y")));
        rig.refused("rename disk0 to disk0/y", "ENOTDIR", Syscalls.call("rename", disk, mp.resolve("disk0/y")));
        assertEquals(List.of("disk0"), names(), "the directory after names with '/'");
    }

    @Test
    void namesOver255BytesAreEnametoolongAnd255IsFine() {
        String max = "n".repeat(255);
        String over = "n".repeat(256);
        String overUtf8 = "\u00e9".repeat(128); // 128 characters, 256 bytes

        rig.refused("create a 256-byte name", "ENAMETOOLONG", Syscalls.open(mp.resolve(over), "create"));
        rig.refused("create a name of 128 two-byte characters", "ENAMETOOLONG", Syscalls.call("open", Syscalls.utf8(mp + "/" + overUtf8), "create"));
        rig.refused("create a 300-byte name", "ENAMETOOLONG", Syscalls.open(mp.resolve("x".repeat(300)), "create"));
        rig.refused("rename disk0 to a 256-byte name", "ENAMETOOLONG", Syscalls.call("rename", disk, mp.resolve(over)));
        rig.refused("mknod of a regular file with a 256-byte name", "ENAMETOOLONG", Syscalls.call("mknod", mp.resolve(over), "reg"));
        assertEquals(List.of("disk0"), names(), "the directory after refused long names");

        assertEquals("OK 0", Syscalls.open(mp.resolve(max), "create"), "create a 255-byte name");
        assertEquals(List.of("disk0", max), names());
        assertEquals("OK 0", Syscalls.call("unlink", mp.resolve(max)));
        rig.stillServing("a 255-byte name created and removed");
    }

    /** The kernel answers rmdir itself: the root is a mount point (EBUSY), a disk is no directory (ENOTDIR). */
    @Test
    void rmdirOfTheRootOrADiskIsRefused() {
        rig.refused("rmdir of the mount root", "EBUSY", Syscalls.call("rmdir", mp));
        rig.refused("rmdir of a disk", "ENOTDIR", Syscalls.call("rmdir", disk));
        assertEquals(List.of("disk0"), names());
    }

    private List<String> names() {
        try (Stream<Path> s = Files.list(mp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

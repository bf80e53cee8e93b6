package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The mount is a flat directory of disks: touch, mv, rm, chmod work; directories and links do not. */
@RequiresFuse(tools = {"touch", "mv", "rm", "mkdir", "ln", "chmod", "stat", "df", "dd", "cmp"})
class NamespaceIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path mnt;

    @BeforeEach
    void mountOneDisk() {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", 8 * MiB)).withMemoryLimit(64 * MiB));
        mnt = fs.mountPoint();
    }

    @Test
    void touchCreatesAnEmptyDisk() {
        Cmd.ok("touch", mnt.resolve("fresh").toString());

        assertEquals(0, Tools.statSize(mnt.resolve("fresh")));
        assertEquals(MountedDisks.passthroughLane() ? "tmpfs:passthrough file, 0 bytes" : "ram",
                Tools.getfattr(mnt.resolve("fresh")).get("user.ramdiskfs.layers"), "a created disk is of the mount's lane");
    }

    @Test
    void mvRenamesAndKeepsTheData() {
        Path data = Data.random(tmp.resolve("data"), 2 * MiB, 111);
        Tools.dd("if=" + data, "of=" + mnt.resolve("disk0"), "bs=1M", "conv=notrunc").assertOk();

        Cmd.ok("mv", mnt.resolve("disk0").toString(), mnt.resolve("renamed").toString());

        assertFalse(Files.exists(mnt.resolve("disk0")));
        Tools.cmp(data, 0, mnt.resolve("renamed"), 0, 2 * MiB);
    }

    @Test
    void rmFreesTheMemory() {
        Tools.dd("if=/dev/urandom", "of=" + mnt.resolve("disk0"), "bs=1M", "count=8", "conv=notrunc").assertOk();
        assertEquals(8 * MiB, Tools.df(mnt)[1]);

        Cmd.ok("rm", mnt.resolve("disk0").toString());

        assertEquals(0, Tools.df(mnt)[1], "df used after rm");
        assertEquals("", Cmd.ok("ls", "-A", mnt.toString()).out());
    }

    @Test
    void chmodAndTouchTimesAreStoredAndReported() {
        Path d = mnt.resolve("disk0");

        Cmd.ok("chmod", "600", d.toString());
        Cmd.ok("touch", "-d", "2001-02-03 04:05:06 UTC", d.toString());

        assertEquals("600 981173106 981173106", Cmd.ok("stat", "-c", "%a %X %Y", d.toString()).out());
    }

    /**
     * {@code touch -m} sets the mtime alone: utimensat with UTIME_OMIT for the atime. libfuse2's
     * high-level API drops such a call unless the filesystem sets {@code flag_utime_omit_ok} in
     * its fuse_operations; ramdiskfs does not, so the time silently stays as it was.
     */
    @Test
    void touchMSetsTheModificationTimeAlone() {
        Path d = mnt.resolve("disk0");

        Cmd.ok("touch", "-m", "-d", "2001-02-03 04:05:06 UTC", d.toString());

        assertEquals("981173106", Cmd.ok("stat", "-c", "%Y", d.toString()).out());
    }

    @Test
    void directoriesAndLinksAreRefused() {
        assertFalse(Cmd.run("mkdir", mnt.resolve("dir").toString()).ok());
        assertFalse(Cmd.run("ln", "-s", "disk0", mnt.resolve("link").toString()).ok());
        assertFalse(Cmd.run("ln", mnt.resolve("disk0").toString(), mnt.resolve("hard").toString()).ok());
        assertTrue(Cmd.ok("ls", "-A", mnt.toString()).out().equals("disk0"));
    }
}

package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * truncate and ftruncate to sizes that are not a whole number of sectors, negative, or past the
 * largest disk (1 PiB): EINVAL / EFBIG, the disk unchanged. 1 PiB itself is fine, even under a
 * 64 MiB budget: disks are thin.
 */
@RequiresFuse(tools = {"python3", "dd", "truncate", "du", "df"})
class BadTruncateIT {
    static final long PiB = 1L << 50;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    ServingRig rig;
    Path disk;

    @BeforeEach
    void start() {
        rig = ServingRig.start(disks);
        disk = rig.disk;
    }

    @AfterEach
    void nothingUnexpected() {
        rig.assertNothingUnexpectedLogged();
    }

    @Test
    void sizesThatAreNotAWholeSectorAreEinval() {
        rig.refused("truncate to 1000", "EINVAL", Syscalls.truncate(disk, 1000));
        rig.refused("truncate to 511", "EINVAL", Syscalls.truncate(disk, 511));
        rig.refused("ftruncate to 16 MiB + 1", "EINVAL", Syscalls.ftruncate(disk, ServingRig.DISK + 1));
        rig.refused("ftruncate to 1 PiB - 1", "EINVAL", Syscalls.ftruncate(disk, PiB - 1));
        Cmd.run("truncate", "-s", "1000", disk.toString()).assertFailsWith("Invalid argument");
        rig.stillServing("truncate -s 1000");
        Cmd.run("truncate", "-s", "-1", disk.toString()).assertFailsWith("Invalid argument"); // shrink by one byte
        rig.stillServing("truncate -s -1");
    }

    @Test
    void negativeSizesAreEinval() {
        rig.refused("truncate to -1", "EINVAL", Syscalls.truncate(disk, -1));
        rig.refused("ftruncate to -512", "EINVAL", Syscalls.ftruncate(disk, -512));
        rig.refused("ftruncate to Long.MIN_VALUE", "EINVAL", Syscalls.ftruncate(disk, Long.MIN_VALUE));
    }

    @Test
    void sizesPastOnePiBAreEfbig() {
        rig.refused("truncate to 1 PiB + 512", "EFBIG", Syscalls.truncate(disk, PiB + 512));
        rig.refused("ftruncate to 2^62", "EFBIG", Syscalls.ftruncate(disk, 1L << 62));
        rig.refused("ftruncate to 2^63 - 512", "EFBIG", Syscalls.ftruncate(disk, Long.MAX_VALUE - 511));
        Cmd.run("truncate", "-s", "2P", disk.toString()).assertFailsWith("File too large");
        rig.stillServing("truncate -s 2P");
    }

    @Test
    void onePiBIsFineUnderA64MiBBudgetAndShrinkingBackKeepsTheData() {
        long usedBefore = Tools.df(rig.mountPoint)[1];

        assertEquals("OK 0", Syscalls.ftruncate(disk, PiB), "ftruncate to exactly 1 PiB");

        assertEquals(PiB, Tools.statSize(disk), "size after growing to 1 PiB");
        assertEquals(ServingRig.DISK, Tools.du(disk), "du: growing commits no memory");
        assertEquals(usedBefore, Tools.df(rig.mountPoint)[1], "df used: growing commits no memory");
        Data.assertZeros(disk, PiB - MiB, MiB);
        assertEquals("OK 0", Syscalls.pread(disk, PiB, 1), "read at 1 PiB");
        assertEquals("EFBIG", Syscalls.pwriteDirect(disk, PiB - 4096, 8192), "O_DIRECT pwrite of 8 KiB at 1 PiB - 4 KiB of a 1 PiB disk");
        assertEquals(PiB, Tools.statSize(disk), "size after a refused write past 1 PiB");

        assertEquals("OK 0", Syscalls.truncate(disk, ServingRig.DISK), "shrink back to 16 MiB");
        rig.stillServing("growing to 1 PiB and shrinking back");
    }
}

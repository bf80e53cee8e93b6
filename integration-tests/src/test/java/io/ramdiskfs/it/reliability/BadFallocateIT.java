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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fallocate with modes ramdiskfs does not do (COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE,
 * NO_HIDE_STALE, PUNCH_HOLE without KEEP_SIZE, unknown bits): EOPNOTSUPP and nothing changes. Bad
 * ranges: EINVAL or EFBIG. Ranges past the end: punch and zero-range with KEEP_SIZE are clipped
 * (nothing to do), mode 0 grows the disk with zeros.
 */
@RequiresFuse(tools = {"python3", "fallocate", "dd", "du"})
class BadFallocateIT {
    static final long PiB = 1L << 50;
    static final int KEEP_SIZE = 0x01;
    static final int PUNCH_HOLE = 0x02;
    static final int ZERO_RANGE = 0x10;

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
    void collapseAndInsertRangeFromUtilLinuxAreNotSupported() {
        Cmd.run("fallocate", "--collapse-range", "--offset", "1M", "--length", "1M", disk.toString())
                .assertFailsWith("Operation not supported");
        rig.stillServing("fallocate --collapse-range");
        Cmd.run("fallocate", "--insert-range", "--offset", "1M", "--length", "1M", disk.toString())
                .assertFailsWith("Operation not supported");
        rig.stillServing("fallocate --insert-range");
    }

    @ParameterizedTest(name = "mode {0}")
    @CsvSource({
        "0x08,  COLLAPSE_RANGE",
        "0x20,  INSERT_RANGE",
        "0x40,  UNSHARE_RANGE",
        "0x04,  NO_HIDE_STALE",
        "0x05,  NO_HIDE_STALE|KEEP_SIZE",
        "0x02,  PUNCH_HOLE without KEEP_SIZE",
        "0x13,  PUNCH_HOLE|ZERO_RANGE|KEEP_SIZE",
        "0x80,  unknown bit 0x80",
        "0x100, unknown bit 0x100",
        "0x40000000, unknown bit 0x40000000",
    })
    void modesItDoesNotDoAreEopnotsupp(String mode, String what) {
        int m = Integer.decode(mode);
        rig.refused("fallocate " + what + " of [1M, +1M)", "EOPNOTSUPP", Syscalls.fallocate(disk, m, MiB, MiB));
        rig.refused("fallocate " + what + " of [0, +4096)", "EOPNOTSUPP", Syscalls.fallocate(disk, m, 0, 4096));
    }

    @Test
    void badRangesAreEinvalOrEfbig() {
        int punch = PUNCH_HOLE | KEEP_SIZE;
        rig.refused("punch at offset -4096", "EINVAL", Syscalls.fallocate(disk, punch, -4096, 8192));
        rig.refused("punch of length 0", "EINVAL", Syscalls.fallocate(disk, punch, 0, 0));
        rig.refused("punch of length -1", "EINVAL", Syscalls.fallocate(disk, punch, 0, -1));
        rig.refused("punch whose end overflows (2^62 + 2^62)", "EFBIG", Syscalls.fallocate(disk, punch, 1L << 62, 1L << 62));
        rig.refused("allocate (mode 0) past 1 PiB", "EFBIG", Syscalls.fallocate(disk, 0, PiB, 4096));
        rig.refused("allocate (mode 0) across 1 PiB", "EFBIG", Syscalls.fallocate(disk, 0, PiB - 4096, 8192));
        rig.refused("zero-range (no KEEP_SIZE) across 1 PiB", "EFBIG", Syscalls.fallocate(disk, ZERO_RANGE, PiB - 4096, 8192));
        assertEquals(ServingRig.DISK, Tools.committedBytes(disk), "committed bytes after refused fallocates");
    }

    @Test
    void punchAndZeroRangeWithKeepSizePastTheEndChangeNothing() {
        long end = ServingRig.DISK;
        rig.refused("punch-hole at the end", "OK 0", Syscalls.fallocate(disk, PUNCH_HOLE | KEEP_SIZE, end, MiB));
        rig.refused("punch-hole far past the end", "OK 0", Syscalls.fallocate(disk, PUNCH_HOLE | KEEP_SIZE, 1L << 40, MiB));
        rig.refused("zero-range|keep-size past the end", "OK 0", Syscalls.fallocate(disk, ZERO_RANGE | KEEP_SIZE, end + 4096, MiB));
        rig.refused("keep-size alone past the end", "OK 0", Syscalls.fallocate(disk, KEEP_SIZE, end, MiB));
        rig.refused("allocate (mode 0) inside the disk", "OK 0", Syscalls.fallocate(disk, 0, 0, MiB));
        Cmd.ok("fallocate", "--punch-hole", "--offset", Long.toString(end + 512), "--length", "1M", disk.toString());
        rig.stillServing("fallocate --punch-hole past the end (util-linux)");
    }

    @Test
    void aPunchAcrossTheEndIsClippedAtTheEnd() {
        long end = ServingRig.DISK;
        Path expected = Data.copy(rig.snapshot.copy(), disks.testDir().resolve("expected"));
        Data.zeroAt(expected, end - 4096, 4096);

        assertEquals("OK 0", Syscalls.fallocate(disk, PUNCH_HOLE | KEEP_SIZE, end - 4096, MiB));

        assertEquals(end, Tools.statSize(disk), "a punch across the end keeps the size");
        Tools.cmp(expected, disk);
    }

    @Test
    void allocatePastTheEndGrowsTheDiskWithZerosAndCommitsNothing() {
        long end = ServingRig.DISK;

        assertEquals("OK 0", Syscalls.fallocate(disk, 0, 2 * end, 4096));

        assertEquals(2 * end + 4096, Tools.statSize(disk), "fallocate mode 0 of [32M, +4096) grows the disk");
        Tools.cmp(rig.snapshot.copy(), 0, disk, 0, end);
        Tools.cmpZeros(disk, end, end + 4096);
        assertEquals(end, Tools.committedBytes(disk), "growing commits no memory");
    }
}

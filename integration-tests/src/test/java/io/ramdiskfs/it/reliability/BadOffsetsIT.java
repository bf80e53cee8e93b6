package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.KiB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * pread/pwrite at negative offsets, at and past the end, near 2^63, with lengths that overflow,
 * and past the largest disk (1 PiB): each gets its errno (or the short read the contract
 * promises), the disk keeps every byte, the same process keeps serving, and nothing is logged as
 * unexpected.
 */
@RequiresFuse(tools = {"python3", "dd"})
class BadOffsetsIT {
    static final long PiB = 1L << 50;
    static final long MAX = Long.MAX_VALUE; // 2^63 - 1

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
    void negativeOffsetsAreEinval() {
        rig.refused("pread at -1", "EINVAL", Syscalls.pread(disk, -1, 10));
        rig.refused("pread at -4096 (O_DIRECT)", "EINVAL", Syscalls.preadDirect(disk, -4096, 4096));
        rig.refused("pwrite at -1", "EINVAL", Syscalls.pwrite(disk, -1, 1));
        rig.refused("pwrite at -4096 (O_DIRECT)", "EINVAL", Syscalls.pwriteDirect(disk, -4096, 4096));
        rig.refused("pwrite at Long.MIN_VALUE", "EINVAL", Syscalls.pwrite(disk, Long.MIN_VALUE, 512));
    }

    @Test
    void readsAtAndPastTheEndAreShortAndChangeNothing() {
        long size = ServingRig.DISK;
        rig.refused("pread at the end", "OK 0", Syscalls.pread(disk, size, 4096));
        rig.refused("pread past the end", "OK 0", Syscalls.pread(disk, size + 12345, 10));
        rig.refused("pread at 2^62", "OK 0", Syscalls.pread(disk, 1L << 62, 4096));
        rig.refused("pread crossing the end", "OK 100", Syscalls.pread(disk, size - 100, 4096));
        rig.refused("O_DIRECT pread crossing the end", "OK 4096", Syscalls.preadDirect(disk, size - 4096, 8192));
        assertArrayEquals(Data.read(rig.snapshot.copy(), size - 100, 100), Data.read(disk, size - 100, 4096),
                "a read of 4096 bytes at 100 before the end gives exactly the last 100 bytes");

        Cmd.Result dd = Tools.ddCounting("if=" + disk, "of=/dev/null", "bs=1", "count=1", "skip=" + (1L << 62));
        assertTrue(!dd.stderr().contains("1+0 records in"), "dd read a byte at 2^62 of a 16 MiB disk\n" + dd.describe());
        rig.stillServing("dd skip=2^62");
    }

    @Test
    void offsetsNear2To63AndLengthsThatOverflowAreEinval() {
        rig.refused("pread of 1 byte at 2^63-1", "EINVAL", Syscalls.pread(disk, MAX, 1));
        rig.refused("pread of 8 KiB at 2^63-4 KiB (end overflows)", "EINVAL", Syscalls.pread(disk, MAX - 4095, 8192));
        rig.refused("O_DIRECT pread of 8 KiB at 2^63-4 KiB", "EINVAL", Syscalls.preadDirect(disk, MAX - 4095, 8192));
        rig.refused("pwrite of 1 byte at 2^63-1", "EINVAL", Syscalls.pwrite(disk, MAX, 1));
        rig.refused("pwrite of 100 bytes at 2^63-10 (end overflows)", "EINVAL", Syscalls.pwrite(disk, MAX - 9, 100));
        rig.refused("O_DIRECT pwrite of 8 KiB at 2^63-4 KiB", "EINVAL", Syscalls.pwriteDirect(disk, MAX - 4095, 8192));

        Tools.dd("if=/dev/zero", "of=" + disk, "bs=1", "count=1", "seek=" + MAX, "conv=notrunc").assertFailsWith("Invalid argument");
        rig.stillServing("dd bs=1 seek=2^63-1");
        Tools.dd("if=/dev/zero", "of=" + disk, "bs=512", "count=1", "seek=" + (1L << 54), "conv=notrunc")
                .assertFailsWith("Value too large"); // dd cannot even seek there
        rig.stillServing("dd bs=512 seek=2^54 (offset 2^63)");
    }

    @Test
    void writesThatEndPastOnePiBAreEfbigAndWriteNothing() {
        rig.refused("pwrite of 1 byte at 1 PiB", "EFBIG", Syscalls.pwrite(disk, PiB, 1));
        rig.refused("pwrite of 512 bytes at 2^62", "EFBIG", Syscalls.pwrite(disk, 1L << 62, 512));
        rig.refused("O_DIRECT pwrite of 8 KiB at 1 PiB - 4 KiB", "EFBIG", Syscalls.pwriteDirect(disk, PiB - 4096, 8192));
        rig.refused("O_DIRECT pwrite of 128 KiB at 1 PiB - 64 KiB", "EFBIG", Syscalls.pwriteDirect(disk, PiB - 64 * KiB, 128 * KiB));

        Tools.dd("if=/dev/zero", "of=" + disk, "bs=1", "count=1", "seek=" + (1L << 62), "conv=notrunc").assertFailsWith("File too large");
        rig.stillServing("dd bs=1 seek=2^62");
        Tools.dd("if=/dev/zero", "of=" + disk, "bs=128K", "count=1", "seek=" + (PiB - 4096), "oflag=seek_bytes,direct", "conv=notrunc")
                .assertFailsWith("File too large");
        rig.stillServing("dd oflag=direct of one 128 KiB block at 1 PiB - 4 KiB");
        assertEquals(ServingRig.DISK, Tools.committedBytes(disk), "committed bytes after refused writes");
    }

    /**
     * A write the kernel splits into several FUSE requests (a buffered one at page boundaries, an
     * O_DIRECT one in max_write = 1 MiB pieces) reaches ramdiskfs piece by piece. Each piece is
     * all or nothing, so a write across 1 PiB either fails with EFBIG or returns short, with
     * exactly the bytes of the pieces below 1 PiB written and nothing past it.
     */
    @ParameterizedTest(name = "{0} bytes at 1 PiB - {1}, {2}")
    @CsvSource({
        "4096,    2048,    buffered",
        "2097152, 1048576, direct",
    })
    void aWriteSplitAcrossOnePiBWritesAtMostTheBytesBelowIt(int length, long below, String mode) {
        Path edge = rig.mountPoint.resolve("edge");
        assertEquals("OK 0", Syscalls.open(edge, "create"));
        long offset = PiB - below;

        String r = mode.equals("direct") ? Syscalls.pwriteDirect(edge, offset, length) : Syscalls.pwrite(edge, offset, length);

        if (r.equals("EFBIG")) {
            assertEquals(0, Tools.statSize(edge), "EFBIG: nothing written, not even the growth");
        } else {
            assertTrue(r.startsWith("OK "), "pwrite of " + length + " bytes at 1 PiB - " + below + ": " + r);
            int n = Integer.parseInt(r.substring(3));
            assertTrue(n > 0 && n <= below, "pwrite of " + length + " bytes at 1 PiB - " + below + " wrote " + n
                    + " bytes: only the " + below + " below 1 PiB may land");
            assertEquals(PiB, Tools.statSize(edge), "the disk grows to 1 PiB, not past it");
            byte[] expected = new byte[n];
            Arrays.fill(expected, (byte) 0xa5);
            assertArrayEquals(expected, Data.read(edge, offset, n), "the " + n + " bytes written below 1 PiB at " + offset);
            assertEquals("OK 0", Syscalls.pread(edge, PiB, 4096), "nothing is readable at 1 PiB");
            long committed = Tools.committedBytes(edge);
            assertTrue(committed <= n + 64 * KiB, "a write of " + n + " bytes commits " + committed);
        }
        rig.stillServing("a write across 1 PiB on another disk");
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fallocate.COLLAPSE_RANGE;
import static io.ramdiskfs.fs.Fallocate.INSERT_RANGE;
import static io.ramdiskfs.fs.Fallocate.KEEP_SIZE;
import static io.ramdiskfs.fs.Fallocate.NO_HIDE_STALE;
import static io.ramdiskfs.fs.Fallocate.PUNCH_HOLE;
import static io.ramdiskfs.fs.Fallocate.UNSHARE_RANGE;
import static io.ramdiskfs.fs.Fallocate.ZERO_RANGE;
import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.PIB;
import static io.ramdiskfs.fs.Fixture.assertErrno;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** fallocate(2) modes: punch and zero-range unmap, mode 0 grows, the rest is EOPNOTSUPP. */
class FallocateTest {
    private static final int SIZE = 4 * CHUNK;

    @Test
    void modeBitsAreTheKernels() {
        assertEquals(0x01, KEEP_SIZE);
        assertEquals(0x02, PUNCH_HOLE);
        assertEquals(0x04, NO_HIDE_STALE);
        assertEquals(0x08, COLLAPSE_RANGE);
        assertEquals(0x10, ZERO_RANGE);
        assertEquals(0x20, INSERT_RANGE);
        assertEquals(0x40, UNSHARE_RANGE);
    }

    @Test
    void punchHoleReadsZerosAndReleasesWholeChunks() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", SIZE);
            fx.writePattern(fh, 0, SIZE, 1);
            assertEquals(4L * CHUNK, fx.budget.used());

            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, CHUNK - 100, 2 * CHUNK + 200);

            fx.assertPattern(fh, 0, CHUNK - 100, 1);
            fx.assertZeros(fh, CHUNK - 100, 2 * CHUNK + 200);
            fx.assertPattern(fh, 3 * CHUNK + 100, CHUNK - 100, 1);
            assertEquals(SIZE, fx.dir.file(fh).size(), "KEEP_SIZE keeps the size");
            assertEquals(2L * CHUNK, fx.dir.file(fh).disk().committedBytes(), "two whole chunks released");
            assertEquals(2L * CHUNK, fx.budget.used());
            assertEquals(2L * CHUNK / 512, fx.dir.file(fh).blocks());
        }
    }

    @Test
    void punchInsideOneSectorZeroesOnlyThoseBytes() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 2);
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 1000, 10);
            fx.assertPattern(fh, 0, 1000, 2);
            fx.assertZeros(fh, 1000, 10);
            fx.assertPattern(fh, 1010, 4096 - 1010, 2);
        }
    }

    @Test
    void punchOfTheWholeDiskReturnsAllMemory() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", SIZE);
            fx.writePattern(fh, 0, SIZE, 3);
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 0, SIZE);
            fx.assertZeros(fh, 0, SIZE);
            assertEquals(0, fx.dir.file(fh).disk().committedBytes());
            assertEquals(0, fx.budget.used());
            assertEquals(0, fx.dir.file(fh).blocks());
        }
    }

    @Test
    void punchPastTheEndIsClippedAndKeepsTheSize() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 4);
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 4000, 1 << 20);
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 4000, 4);
            fx.assertZeros(fh, 4000, 8192 - 4000);
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 1 << 20, 4096);
            assertEquals(8192, fx.dir.file(fh).size(), "a punch wholly past the end changes nothing");
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 0, Long.MAX_VALUE);
            fx.assertZeros(fh, 0, 8192);
        }
    }

    @Test
    void zeroRangeWithKeepSizeZeroesAndKeepsTheSize() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", SIZE);
            fx.writePattern(fh, 0, SIZE, 5);
            fx.dir.fallocate(fh, ZERO_RANGE | KEEP_SIZE, 300, 2 * CHUNK);
            fx.assertPattern(fh, 0, 300, 5);
            fx.assertZeros(fh, 300, 2 * CHUNK);
            fx.assertPattern(fh, 300 + 2 * CHUNK, SIZE - 300 - 2 * CHUNK, 5);
            fx.dir.fallocate(fh, ZERO_RANGE | KEEP_SIZE, SIZE - 512, 4096);
            assertEquals(SIZE, fx.dir.file(fh).size());
            fx.assertZeros(fh, SIZE - 512, 512);
        }
    }

    @Test
    void zeroRangeWithoutKeepSizeGrowsTheDisk() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 6);
            fx.dir.fallocate(fh, ZERO_RANGE, 2048, 10_000);
            assertEquals(12_288, fx.dir.file(fh).size(), "grown to cover 12048, rounded up to a sector");
            fx.assertPattern(fh, 0, 2048, 6);
            fx.assertZeros(fh, 2048, 12_288 - 2048);
        }
    }

    @Test
    void zeroRangeWithoutKeepSizeInsideTheDiskKeepsTheSize() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 7);
            fx.dir.fallocate(fh, ZERO_RANGE, 10, 20);
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 10, 7);
            fx.assertZeros(fh, 10, 20);
            fx.assertPattern(fh, 30, 8192 - 30, 7);
        }
    }

    @Test
    void modeZeroPastTheEndGrowsAndReadsZeros() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 8);
            fx.dir.fallocate(fh, 0, 4000, 5000);
            assertEquals(9216, fx.dir.file(fh).size(), "9000 rounded up to a sector");
            fx.assertPattern(fh, 0, 4096, 8);
            fx.assertZeros(fh, 4096, 9216 - 4096);
            assertEquals(CHUNK, fx.dir.file(fh).disk().committedBytes(), "growing reserves no memory");
        }
    }

    @Test
    void modeZeroInsideTheDiskChangesNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 9);
            fx.dir.fallocate(fh, 0, 100, 4000);
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 8192, 9);
        }
    }

    @Test
    void keepSizeAloneChangesNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 10);
            fx.dir.fallocate(fh, KEEP_SIZE, 0, 1 << 20);
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 8192, 10);
        }
    }

    @Test
    void modeZeroPastOnePebibyteIsEfbig() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EFBIG, () -> fx.dir.fallocate(fh, 0, PIB - 512, 1024));
            assertErrno(Errno.EFBIG, () -> fx.dir.fallocate(fh, ZERO_RANGE, PIB, 1));
            assertEquals(4096, fx.dir.file(fh).size());
        }
    }

    @Test
    void punchHoleWithoutKeepSizeIsEopnotsupp() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 11);
            assertFsErrno(Errno.EOPNOTSUPP, () -> fx.dir.fallocate(fh, PUNCH_HOLE, 0, 4096));
            fx.assertPattern(fh, 0, 8192, 11);
        }
    }

    @ParameterizedTest(name = "mode 0x{0}")
    @ValueSource(ints = {
        COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE, NO_HIDE_STALE, COLLAPSE_RANGE | KEEP_SIZE, INSERT_RANGE | KEEP_SIZE,
        UNSHARE_RANGE | KEEP_SIZE, PUNCH_HOLE | ZERO_RANGE | KEEP_SIZE, PUNCH_HOLE | KEEP_SIZE | COLLAPSE_RANGE,
        0x80, 0x100, 0x4000_0000, 0x8000_0000, -1
    })
    void unsupportedModesAreEopnotsuppAndChangeNothing(int mode) throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 12);
            assertFsErrno(Errno.EOPNOTSUPP, () -> fx.dir.fallocate(fh, mode, 0, 4096));
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 8192, 12);
        }
    }

    @Test
    void negativeOffsetOrZeroOrNegativeLengthIsEinval() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            for (int mode : new int[] {0, KEEP_SIZE, PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE, ZERO_RANGE | KEEP_SIZE}) {
                assertFsErrno(Errno.EINVAL, () -> fx.dir.fallocate(fh, mode, -1, 512));
                assertFsErrno(Errno.EINVAL, () -> fx.dir.fallocate(fh, mode, 0, 0));
                assertFsErrno(Errno.EINVAL, () -> fx.dir.fallocate(fh, mode, 0, -512));
                assertFsErrno(Errno.EINVAL, () -> fx.dir.fallocate(fh, mode, 1, Long.MAX_VALUE));
            }
            assertEquals(8192, fx.dir.file(fh).size());
        }
    }

    @Test
    void unknownHandleIsEbadf() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.EBADF, () -> fx.dir.fallocate(99, PUNCH_HOLE | KEEP_SIZE, 0, 512));
        }
    }

    @Test
    void punchStampsMtime() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.clock.set(123_000_000_000L);
            fx.dir.fallocate(fh, PUNCH_HOLE | KEEP_SIZE, 0, 512);
            assertEquals(123_000_000_000L, fx.dir.file(fh).mtimeNanos());
        }
    }

    @Test
    void describeNamesTheModeInHex() {
        assertEquals("0x11", Fallocate.describe(ZERO_RANGE | KEEP_SIZE));
    }
}

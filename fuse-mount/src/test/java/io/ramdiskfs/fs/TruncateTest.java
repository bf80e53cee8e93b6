package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.PIB;
import static io.ramdiskfs.fs.Fixture.assertErrno;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** truncate and ftruncate: the size is the disk's, in whole sectors, and a regrow reads zeros. */
class TruncateTest {

    @Test
    void shrinkThenGrowReadsZerosNotTheOldData() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            fx.writePattern(fh, 0, 4 * CHUNK, 1);
            fx.dir.truncate("/disk0", CHUNK + 1024);
            assertEquals(CHUNK + 1024, fx.dir.lookup("/disk0").size());
            fx.dir.truncate("/disk0", 4 * CHUNK);
            assertEquals(4 * CHUNK, fx.dir.lookup("/disk0").size());
            fx.assertPattern(fh, 0, CHUNK + 1024, 1);
            fx.assertZeros(fh, CHUNK + 1024, 3 * CHUNK - 1024);
        }
    }

    @Test
    void ftruncateShrinksAndAReadPastTheNewEndIsEmpty() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 2);
            fx.dir.ftruncate(fh, 1024);
            assertEquals(1024, fx.dir.file(fh).size());
            assertEquals(0, fx.read(fh, 1024, 100).length);
            assertEquals(24, fx.read(fh, 1000, 100).length, "read crossing the new end");
        }
    }

    @Test
    void shrinkReturnsMemoryToTheBudget() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            fx.writePattern(fh, 0, 4 * CHUNK, 3);
            assertEquals(4L * CHUNK, fx.budget.used());
            fx.dir.ftruncate(fh, CHUNK);
            assertEquals(CHUNK, fx.budget.used(), "budget after shrinking to one chunk");
            assertEquals(CHUNK / 512, fx.dir.file(fh).blocks());
            fx.dir.ftruncate(fh, 0);
            assertEquals(0, fx.budget.used(), "budget after truncating to 0");
            assertEquals(0, fx.dir.file(fh).blocks());
        }
    }

    @Test
    void truncateToZeroIsAnEmptyDiskThatCanBeWrittenAgain() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 8192);
            fx.writePattern(fh, 0, 8192, 4);
            fx.dir.truncate("/disk0", 0);
            assertEquals(0, fx.dir.file(fh).size());
            assertEquals(0, fx.read(fh, 0, 10).length);
            fx.writePattern(fh, 700, 10, 5);
            assertEquals(1024, fx.dir.file(fh).size());
            fx.assertZeros(fh, 0, 700);
            fx.assertPattern(fh, 700, 10, 5);
        }
    }

    @Test
    void growOfAFreshDiskReadsZerosAndCostsNoMemory() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 0);
            fx.dir.ftruncate(fh, 1L << 40);
            assertEquals(1L << 40, fx.dir.file(fh).size());
            assertEquals(0, fx.budget.used());
            fx.assertZeros(fh, (1L << 40) - 4096, 4096);
        }
    }

    @Test
    void sizeNotAMultipleOfTheSectorIsEinval() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EINVAL, () -> fx.dir.truncate("/disk0", 1000));
            assertErrno(Errno.EINVAL, () -> fx.dir.ftruncate(fh, 4097));
            assertErrno(Errno.EINVAL, () -> fx.dir.ftruncate(fh, 1));
            assertEquals(4096, fx.dir.file(fh).size(), "a refused truncate leaves the size alone");
        }
    }

    @Test
    void negativeSizeIsEinval() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EINVAL, () -> fx.dir.truncate("/disk0", -512));
            assertErrno(Errno.EINVAL, () -> fx.dir.ftruncate(fh, -1));
            assertErrno(Errno.EINVAL, () -> fx.dir.ftruncate(fh, Long.MIN_VALUE));
            assertEquals(4096, fx.dir.file(fh).size());
        }
    }

    @Test
    void sizePastOnePebibyteIsEfbig() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EFBIG, () -> fx.dir.truncate("/disk0", PIB + 512));
            assertErrno(Errno.EFBIG, () -> fx.dir.ftruncate(fh, Long.MAX_VALUE & ~511L));
            assertEquals(4096, fx.dir.file(fh).size());
            fx.dir.ftruncate(fh, PIB);
            assertEquals(PIB, fx.dir.file(fh).size(), "exactly 1 PiB is allowed");
        }
    }

    @Test
    void truncateToTheSameSizeKeepsTheDataAndStampsMtime() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 6);
            fx.clock.set(77_000_000_000L);
            fx.dir.truncate("/disk0", 4096);
            fx.assertPattern(fh, 0, 4096, 6);
            assertEquals(77_000_000_000L, fx.dir.file(fh).mtimeNanos());
        }
    }

    @Test
    void truncateOfAMissingDiskIsEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.truncate("/nope", 0));
        }
    }

    @Test
    void truncateOfTheRootIsEisdir() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.EISDIR, () -> fx.dir.truncate("/", 0));
        }
    }

    @Test
    void ftruncateOfAnUnknownHandleIsEbadf() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.EBADF, () -> fx.dir.ftruncate(3, 0));
        }
    }
}

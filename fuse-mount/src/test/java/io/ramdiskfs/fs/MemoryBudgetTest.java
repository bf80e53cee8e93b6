package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.assertDiskError;
import static io.ramdiskfs.fs.Fixture.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.DiskError;
import org.junit.jupiter.api.Test;

/** A full memory budget: ENOSPC, nothing half-written, what was written stays readable. */
class MemoryBudgetTest {

    @Test
    void writeBeyondTheBudgetIsEnospcAndEarlierDataStaysReadable() throws Exception {
        try (Fixture fx = Fixture.withLimit(2L * CHUNK)) {
            long fh = fx.addOpen("disk0", 8 * CHUNK);
            fx.writePattern(fh, 0, 2 * CHUNK, 1);
            assertEquals(2L * CHUNK, fx.budget.used());

            assertDiskError(DiskError.NO_SPACE, () -> fx.write(fh, 2 * CHUNK, data(512)));
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, 5 * CHUNK + 3, data(10)));

            fx.assertPattern(fh, 0, 2 * CHUNK, 1);
            fx.assertZeros(fh, 2 * CHUNK, 6 * CHUNK);
            assertEquals(2L * CHUNK, fx.budget.used(), "a refused write reserves nothing");
            assertEquals(2L * CHUNK, fx.dir.file(fh).disk().committedBytes());
        }
    }

    @Test
    void aWriteSpanningAHeldAndANewChunkChangesNothing() throws Exception {
        try (Fixture fx = Fixture.withLimit(CHUNK)) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            fx.writePattern(fh, 0, CHUNK, 1);
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, CHUNK - 700, Fixture.pattern(CHUNK - 700, 1400, 2)));
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, CHUNK - 1024, Fixture.pattern(CHUNK - 1024, 2048, 2)));
            fx.assertPattern(fh, 0, CHUNK, 1);
            fx.assertZeros(fh, CHUNK, CHUNK);
        }
    }

    @Test
    void overwritingHeldMemoryStillWorksWhenTheBudgetIsFull() throws Exception {
        try (Fixture fx = Fixture.withLimit(CHUNK)) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            fx.writePattern(fh, 0, 10, 1);
            fx.writePattern(fh, 333, 5000, 2);
            fx.assertPattern(fh, 0, 10, 1);
            fx.assertPattern(fh, 333, 5000, 2);
        }
    }

    @Test
    void aPunchGivesMemoryBackForTheNextWrite() throws Exception {
        try (Fixture fx = Fixture.withLimit(CHUNK)) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            fx.writePattern(fh, 0, CHUNK, 1);
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, 3 * CHUNK, data(1)));
            fx.dir.fallocate(fh, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, CHUNK);
            assertEquals(0, fx.budget.used());
            fx.writePattern(fh, 3 * CHUNK, 1, 3);
            fx.assertPattern(fh, 3 * CHUNK, 1, 3);
        }
    }

    @Test
    void disksShareOneBudget() throws Exception {
        try (Fixture fx = Fixture.withLimit(2L * CHUNK)) {
            long a = fx.addOpen("a", 2 * CHUNK);
            long b = fx.addOpen("b", 2 * CHUNK);
            fx.writePattern(a, 0, 1, 1);
            fx.writePattern(b, 0, 1, 2);
            assertErrno(Errno.ENOSPC, () -> fx.write(a, CHUNK, data(1)));
            fx.dir.release(b);
            fx.dir.unlink("/b");
            fx.writePattern(a, CHUNK, 1, 3);
            fx.assertPattern(a, 0, 1, 1);
            fx.assertPattern(a, CHUNK, 1, 3);
        }
    }

    @Test
    void aGrowingWriteRefusedForMemoryLeavesTheSizeAlone() throws Exception {
        try (Fixture fx = Fixture.withLimit(CHUNK)) {
            long fh = fx.addOpen("disk0", CHUNK);
            fx.writePattern(fh, 0, CHUNK, 1);
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, CHUNK, data(4096)));
            assertEquals(CHUNK, fx.dir.file(fh).size(), "a write that failed must not grow the disk");
            fx.assertPattern(fh, 0, CHUNK, 1);
        }
    }

    @Test
    void createdDisksDrawFromTheBudgetToo() throws Exception {
        try (Fixture fx = Fixture.withLimit(CHUNK)) {
            long fh = fx.dir.create("/new", 0644, 0, 0);
            fx.writePattern(fh, 0, 100, 1);
            assertEquals(CHUNK, fx.budget.used());
            assertErrno(Errno.ENOSPC, () -> fx.write(fh, CHUNK, data(100)));
            fx.assertPattern(fh, 0, 100, 1);
        }
    }

    /** Non-zero bytes: zeros need no memory (they take the zero state) and are never refused. */
    private static byte[] data(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 0x5a);
        return b;
    }
}

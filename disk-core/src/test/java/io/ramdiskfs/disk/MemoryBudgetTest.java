package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static io.ramdiskfs.disk.TestDisks.assertFails;
import static io.ramdiskfs.disk.TestDisks.checkPattern;
import static io.ramdiskfs.disk.TestDisks.checkZeros;
import static io.ramdiskfs.disk.TestDisks.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One budget for all RAM layers: exact accounting, refusal at the limit, memory back on unmap and close. */
class MemoryBudgetTest {
    static final int SS = 512;
    static final int CHUNK = RamLayer.CHUNK_BYTES;
    static final int PER_CHUNK = CHUNK / SS;

    @TempDir
    Path dir;

    @Test
    void reservationsStopAtTheLimit() {
        MemoryBudget b = new MemoryBudget(100);
        assertTrue(b.tryReserve(60));
        assertFalse(b.tryReserve(41));
        assertEquals(60, b.used());
        assertTrue(b.tryReserve(40));
        assertEquals(0, b.available());
        b.release(100);
        assertEquals(0, b.used());
        assertEquals(100, b.limit());
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget(-1));
        MemoryBudget unlimited = MemoryBudget.unlimited();
        assertTrue(unlimited.tryReserve(Long.MAX_VALUE / 2));
        assertTrue(unlimited.tryReserve(Long.MAX_VALUE / 2));
        assertFalse(unlimited.tryReserve(Long.MAX_VALUE));
    }

    @Test
    void aBudgetOfNChunksTakesExactlyNChunksOfDataThenRefusesAndPunchingMakesRoom() throws DiskException {
        int n = 5;
        MemoryBudget budget = new MemoryBudget((long) n * CHUNK);
        try (LayeredDisk disk = LayeredDisk.of(RamLayer.create(16L * CHUNK, SS, budget), false)) {
            for (int c = 0; c < n; c++) {
                write(disk, (long) c * PER_CHUNK, PER_CHUNK, 1);
            }
            assertEquals((long) n * CHUNK, budget.used());
            assertEquals((long) n * CHUNK, disk.committedBytes());
            // A full chunk already held takes more data; a new chunk does not fit, not even one sector of it.
            write(disk, 0, PER_CHUNK, 2);
            DiskException e = assertFails(DiskError.NO_SPACE, () -> write(disk, (long) n * PER_CHUNK, 1, 3));
            assertTrue(e.getMessage().contains("budget"), e::getMessage);
            checkZeros(disk, (long) n * PER_CHUNK, PER_CHUNK);
            assertEquals((long) n * CHUNK, budget.used());
            // Punching one chunk makes room for exactly one.
            disk.unmap(PER_CHUNK, PER_CHUNK);
            assertEquals((long) (n - 1) * CHUNK, budget.used());
            write(disk, (long) n * PER_CHUNK + 3, 1, 3);
            checkPattern(disk, (long) n * PER_CHUNK + 3, 1, 3);
            assertEquals((long) n * CHUNK, budget.used());
            assertFails(DiskError.NO_SPACE, () -> write(disk, (long) (n + 1) * PER_CHUNK, 1, 3));
            // Punching part of a chunk frees nothing while data remains in it.
            disk.bytes().unmap(0, CHUNK - SS);
            assertEquals((long) n * CHUNK, budget.used());
            disk.bytes().unmap(CHUNK - SS, SS);
            assertEquals((long) (n - 1) * CHUNK, budget.used());
        }
        assertEquals(0, budget.used());
    }

    @Test
    void aWriteSpanningChunksIsRefusedWholeWhenOnlySomeFit() throws DiskException {
        MemoryBudget budget = new MemoryBudget(2L * CHUNK);
        try (LayeredDisk disk = LayeredDisk.of(RamLayer.create(16L * CHUNK, SS, budget), false)) {
            write(disk, 0, 1, 1);
            assertFails(DiskError.NO_SPACE, () -> write(disk, PER_CHUNK - 1, 2 * PER_CHUNK, 2));
            checkPattern(disk, 0, 1, 1);
            checkZeros(disk, 1, 3 * PER_CHUNK);
            assertEquals(CHUNK, budget.used());
            write(disk, PER_CHUNK - 1, PER_CHUNK + 1, 2);
            assertEquals(2L * CHUNK, budget.used());
        }
    }

    @Test
    void committedBytesAndTheBudgetReturnToZeroAfterUnmappingEverything() throws Exception {
        MemoryBudget budget = new MemoryBudget(64L << 20);
        RamLayer middle = TestDisks.ramWithPattern(8L * CHUNK, 1, budget);
        try (LayeredDisk disk = TestDisks.stack(false, RamLayer.over(budget), middle,
                TestDisks.patternImage(dir, "base.img", 8L * CHUNK, 0, SS))) {
            write(disk, 0, 8 * PER_CHUNK, 2);
            assertEquals(8L * CHUNK, disk.layers().get(0).committedBytes());
            assertEquals(8L * CHUNK, middle.committedBytes());
            assertEquals(16L * CHUNK, disk.committedBytes());
            assertEquals(16L * CHUNK, budget.used());
            disk.bytes().unmap(0, disk.sizeBytes());
            assertEquals(0, disk.layers().get(0).committedBytes());
            assertEquals(8L * CHUNK, middle.committedBytes(), "the middle layer is not in the write path");
            middle.unmap(0, middle.sectorCount(), 0);
            assertEquals(0, disk.committedBytes());
            assertEquals(0, budget.used());
            checkZeros(disk, 0, 8 * PER_CHUNK);
        }
        assertEquals(0, budget.used());
    }

    @Test
    void committedBytesAndTheBudgetReturnToZeroAfterClose() throws Exception {
        MemoryBudget budget = new MemoryBudget(64L << 20);
        LayeredDisk a = LayeredDisk.of(RamLayer.create(8L * CHUNK, SS, budget), false);
        LayeredDisk b = TestDisks.stack(false, RamLayer.over(budget), TestDisks.ramWithPattern(4L * CHUNK, 1, budget));
        write(a, 0, 8 * PER_CHUNK, 1);
        write(b, 3, 1, 2);
        assertEquals(8L * CHUNK, a.committedBytes());
        assertEquals(5L * CHUNK, b.committedBytes());
        assertEquals(13L * CHUNK, budget.used());
        a.close();
        assertEquals(0, a.committedBytes());
        assertEquals(5L * CHUNK, budget.used());
        b.close();
        assertEquals(0, b.committedBytes());
        assertEquals(0, budget.used());
    }

    @Test
    void aFullBudgetLeavesReadsAndOverwritesWorking() throws DiskException {
        MemoryBudget budget = new MemoryBudget(CHUNK);
        try (LayeredDisk disk = LayeredDisk.of(RamLayer.create(4L * CHUNK, SS, budget), false)) {
            write(disk, 0, PER_CHUNK, 1);
            for (int i = 0; i < 3; i++) {
                assertFails(DiskError.NO_SPACE, () -> disk.bytes().write(CHUNK + 7, new byte[] {1, 2, 3}, BYTES, 3));
            }
            checkPattern(disk, 0, PER_CHUNK, 1);
            checkZeros(disk, PER_CHUNK, 3 * PER_CHUNK);
            disk.bytes().write(7, new byte[3], BYTES, 3);
            assertEquals(CHUNK, budget.used());
        }
    }
}

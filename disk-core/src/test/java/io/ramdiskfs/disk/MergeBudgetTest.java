package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.ram.RamLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deleting a snapshot merges its frozen layer into the layer above (issue 20, item 6). Where the
 * upper layer holds part of a chunk without memory (zeros), the merge used to allocate a copy and,
 * at a full budget, stop half done: the chunks it had copied held twice, the frozen layer left in
 * the chain, every later write refused. It now takes the frozen layer's memory up instead of
 * copying it, so it needs no memory, always completes, and gives back what was shadowed.
 */
class MergeBudgetTest {
    static final int SS = SectorPattern.DEFAULT_SECTOR_SIZE;
    static final int CHUNK = RamLayer.CHUNK_BYTES / SS;
    static final long CHUNK_BYTES = RamLayer.CHUNK_BYTES;

    /** Room for 8 chunks: the disk below uses 7 before the merge, 1 is left. */
    final MemoryBudget budget = new MemoryBudget(8 * CHUNK_BYTES);
    final LayeredDisk disk = LayeredDisk.of(TestDisks.ram(16 * CHUNK_BYTES, budget), false);

    @AfterEach
    void close() {
        disk.close();
    }

    @Test
    void aMergeAtAFullBudgetCompletesAndGivesTheShadowedMemoryBack() throws DiskException {
        // The snapshot's layer: the first half of chunks 0..3 data, a run of zeros after it.
        for (int c = 0; c < 4; c++) {
            TestDisks.write(disk, c * CHUNK, CHUNK / 2, 1);
            disk.unmap(c * CHUNK + CHUNK / 2, 16);
        }
        LayeredDisk snapshot = disk.snapshot();
        // Above it: data over part of chunk 0 (memory), only zeros in chunks 1..3 (none), and
        // two chunks of data elsewhere. 7 of 8 chunks are used.
        TestDisks.write(disk, 0, 8, 2);
        for (int c = 1; c < 4; c++) {
            disk.unmap(c * CHUNK + 10, 2);
        }
        TestDisks.write(disk, 8L * CHUNK, 2 * CHUNK, 3);
        assertEquals(7 * CHUNK_BYTES, budget.used(), "before the merge");
        byte[] expected = TestDisks.contents(disk);

        snapshot.close(); // the frozen layer is no one's own now: merged into the top

        assertEquals(1, disk.layers().size(), "the snapshot's layer is merged away");
        assertArrayEquals(expected, TestDisks.contents(disk), "the disk reads as before the merge");
        assertEquals(6 * CHUNK_BYTES, budget.used(), "chunk 0's upper copy is given back; nothing is held twice");
        assertEquals(6 * CHUNK_BYTES, disk.committedBytes(), "the disk's count agrees with the budget");
        TestDisks.write(disk, 12L * CHUNK, 2 * CHUNK, 4); // the two free chunks take writes
        TestDisks.checkPattern(disk, 12L * CHUNK, 2 * CHUNK, 4);
    }
}

package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.ram.RamLayer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A write refused for memory changes nothing, while other requests free and take memory in the
 * same range (issue 20, item 11). The budget is full; one thread unmaps and rewrites the last
 * chunk of a 1 MiB range over and over, another writes the whole range. A reservation counted
 * without the range's locks could find the last chunk holding memory, lose it to the unmap, and
 * fail there after the first fifteen chunks had taken the new data.
 */
class RefusedWriteTest {
    static final int SS = SectorPattern.DEFAULT_SECTOR_SIZE;
    static final int CHUNK = RamLayer.CHUNK_BYTES / SS;
    static final int RANGE = 16 * CHUNK;

    final MemoryBudget budget = new MemoryBudget(32L * RamLayer.CHUNK_BYTES);
    final LayeredDisk disk = LayeredDisk.of(TestDisks.ram(32L * RamLayer.CHUNK_BYTES, budget), false);

    @AfterEach
    void close() {
        disk.close();
    }

    @Test
    void aWriteRefusedAtAFullBudgetLeavesEveryChunkAsItWas() throws Exception {
        TestDisks.write(disk, 0, 32 * CHUNK, 1); // every chunk held: the budget is full
        AtomicBoolean stop = new AtomicBoolean();
        Thread churn = new Thread(() -> {
            while (!stop.get()) {
                try {
                    disk.unmap(RANGE - CHUNK, CHUNK); // frees the range's last chunk ...
                    TestDisks.write(disk, RANGE - CHUNK, CHUNK, 9); // ... and takes it back
                } catch (DiskException e) {
                    // ENOSPC: the writer took the chunk first
                }
            }
        });
        churn.start();
        int refused = 0;
        int written = 0;
        int generation = 1;
        try {
            // Until enough refusals were checked, or 10 s on a slow machine.
            long until = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < until && (refused < 50 || written < 50)) {
                int next = generation == 2 ? 3 : 2;
                try {
                    TestDisks.write(disk, 0, RANGE, next);
                    generation = next;
                    written++;
                } catch (DiskException e) {
                    assertEquals(DiskError.NO_SPACE, e.error(), e.getMessage());
                    refused++;
                    // The chunks the churn never touches must hold the last successful write.
                    byte[] head = TestDisks.read(disk, 0, RANGE - CHUNK);
                    byte[] expected = SectorPattern.sectors(0, RANGE - CHUNK, generation, SS);
                    assertTrue(Arrays.equals(expected, head), "a refused write (refusal " + refused + ", after " + written
                            + " writes) changed sectors [0, " + (RANGE - CHUNK) + "): it was half done");
                }
            }
        } finally {
            stop.set(true);
            churn.join();
        }
        assertTrue(written > 0, "no write got through in 10 s");
        assertTrue(refused > 0, "no write was refused in 10 s: the race was not exercised");
    }
}

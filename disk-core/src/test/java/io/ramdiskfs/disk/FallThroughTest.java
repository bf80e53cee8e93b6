package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read falls through to the image only while the RAM layer above holds nothing of it: the
 * front end then serves it from the file directly, so a wrong "yes" would show stale image data.
 */
class FallThroughTest {
    static final int SS = 512;
    static final int SIZE = 1024 * 1024;
    static final int SECTORS = SIZE / SS;
    /** Sectors in one 64 KiB chunk of the RAM layer. */
    static final int CHUNK = 128;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    FileLayer image;
    LayeredDisk disk;

    @BeforeEach
    void memdiff() throws Exception {
        image = TestDisks.patternImage(dir, "base.img", SIZE, 0, SS);
        disk = LayeredDisk.create(false, List.of(LayerConfiguration.of(RamLayer.over(budget)), LayerConfiguration.of(image)));
    }

    @AfterEach
    void close() {
        disk.close();
    }

    @Test
    void anUntouchedRangeComesFromTheImage() {
        assertSame(image, disk.fallsThroughTo(0, SECTORS), "the whole disk, untouched");
        assertSame(image, disk.fallsThroughTo(SECTORS - 1, 1), "the last sector");
    }

    @Test
    void aWrittenSectorKeepsItsChunkOutOfTheImagePath() throws DiskException {
        disk.write(new byte[SS], TestDisks.BYTES, 3 * CHUNK + 7, 1, false);

        assertNull(disk.fallsThroughTo(3 * CHUNK + 7, 1), "the written sector");
        assertNull(disk.fallsThroughTo(0, SECTORS), "a range over it");
        assertNull(disk.fallsThroughTo(3 * CHUNK, 1), "the same chunk (the answer is per chunk, so unsure there)");
        assertSame(image, disk.fallsThroughTo(2 * CHUNK, CHUNK), "the chunk before");
        assertSame(image, disk.fallsThroughTo(4 * CHUNK, CHUNK), "the chunk after");
    }

    @Test
    void anUnmappedRangeReadsZerosSoItIsNotTheImages() throws DiskException {
        disk.unmap(5 * CHUNK, CHUNK);

        assertNull(disk.fallsThroughTo(5 * CHUNK, 1));
        assertSame(image, disk.fallsThroughTo(6 * CHUNK, CHUNK));
    }

    @Test
    void rangesOutsideTheImageNeverFallThrough() {
        assertNull(disk.fallsThroughTo(SECTORS - 1, 2), "past the end");
        assertNull(disk.fallsThroughTo(-1, 2), "a negative sector");
        assertNull(disk.fallsThroughTo(0, 0), "an empty range");
        assertNull(disk.fallsThroughTo(Long.MAX_VALUE, 1), "an overflowing range");
    }

    @Test
    void afterAShrinkAndRegrowTheNewTailIsZeroNotTheImage() throws DiskException {
        disk.resize(SECTORS / 2);
        disk.resize(SECTORS);

        assertNull(disk.fallsThroughTo(SECTORS / 2, 1), "a regrown sector reads zeros");
        assertSame(image, disk.fallsThroughTo(0, CHUNK), "the kept head still comes from the image");
    }

    @Test
    void aSingleLayerOrAReadCacheNeverFallsThrough() throws DiskException {
        try (LayeredDisk ram = LayeredDisk.of(RamLayer.create(SIZE, SS, budget), false)) {
            assertNull(ram.fallsThroughTo(0, 1), "one layer: nothing to fall to");
        }
        LayeredDisk cached = LayeredDisk.create(false, List.of(new LayerConfiguration(RamLayer.over(budget), false, true),
                LayerConfiguration.of(image)));
        assertNull(cached.fallsThroughTo(0, 1), "a read cache must see its misses");
    }

    /**
     * A merge moves a frozen layer's chunks into the layer above, with the gate closed. A decision
     * taken outside the gate can look at the upper layer before the move and the lower one after
     * it, find the range in neither, and send a read of RAM data to the image (issue 20, item 7).
     */
    @Test
    void aMergeMovingTheDataUpNeverSendsItsReadToTheImage() throws Exception {
        for (int s = 0; s < CHUNK * 8; s += CHUNK) {
            disk.write(new byte[SS], TestDisks.BYTES, s, 1, false);
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong wrong = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                for (int s = 0; s < CHUNK * 8; s += CHUNK) {
                    if (disk.fallsThroughTo(s, 1) != null) {
                        wrong.incrementAndGet();
                    }
                    asked.incrementAndGet();
                }
            }
        });
        reader.start();
        try {
            long until = System.nanoTime() + 2_000_000_000L;
            int merges = 0;
            while (System.nanoTime() < until && wrong.get() == 0) {
                disk.snapshot().close(); // freezes the top under a new one, then merges it back up
                merges++;
            }
            stop.set(true);
            reader.join();
            assertEquals(0, wrong.get(), wrong.get() + " of " + asked.get() + " decisions sent RAM data to the image, over "
                    + merges + " merges");
        } finally {
            stop.set(true);
            reader.join();
        }
    }
}

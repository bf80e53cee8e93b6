package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.checkPattern;
import static io.ramdiskfs.disk.TestDisks.read;
import static io.ramdiskfs.disk.TestDisks.write;
import static io.ramdiskfs.disk.TestDisks.writeLayer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-cache layer receives what was read from below it, without overwriting anything
 * (upstream's {@code test_read_cache}: 5 single-sector reads leave 5 sectors cached, a later
 * 15-sector read brings the total to 16).
 */
class ReadCacheTest {
    static final int SS = 512;
    static final int SIZE = 1024 * 1024;
    static final int SECTORS = SIZE / SS;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    LayeredDisk disk;

    @AfterEach
    void close() {
        disk.close();
        assertEquals(0, budget.used());
    }

    static LayerConfiguration cache(LayerSource layer) {
        return new LayerConfiguration(layer, false, true);
    }

    /** The sectors the layer holds (data or zero), found by reading it with a marker. */
    static int cachedSectors(LayerIo layer) throws DiskException {
        SectorMarker marker = new SectorMarker();
        int n = (int) layer.sectorCount();
        marker.reset(0, n);
        layer.read(new byte[n * layer.sectorSize()], TestDisks.BYTES, 0, n, marker);
        int count = 0;
        for (int s = 0; s < n; s++) {
            count += marker.isSet(s) ? 1 : 0;
        }
        return count;
    }

    @Test
    void readsFillTheCacheSectorBySector() throws DiskException {
        RamLayer upper = RamLayer.create(SIZE, SS, budget);
        RamLayer lower = TestDisks.ramWithPattern(SIZE, 0, budget);
        disk = LayeredDisk.create(false, List.of(cache(upper), LayerConfiguration.of(lower)));
        for (int s = 0; s < 5; s++) {
            checkPattern(disk, s, 1, 0);
        }
        assertEquals(5, cachedSectors(upper));
        checkPattern(disk, 1, 15, 0);
        assertEquals(16, cachedSectors(upper));
        // The cached sectors now answer from the cache: a change below shows only where nothing was cached.
        writeLayer(lower, 0, SECTORS, 1);
        checkPattern(disk, 0, 16, 0);
        checkPattern(disk, 16, SECTORS - 16, 1);
        assertEquals(SECTORS, cachedSectors(upper));
    }

    @Test
    void aCacheFillNeverOverwritesAWriteThatCameFirst() throws DiskException {
        RamLayer upper = RamLayer.create(SIZE, SS, budget);
        RamLayer lower = TestDisks.ramWithPattern(SIZE, 0, budget);
        disk = LayeredDisk.create(false, List.of(cache(upper), LayerConfiguration.of(lower)));
        write(disk, 10, 5, 2);
        checkPattern(disk, 0, 10, 0);
        checkPattern(disk, 10, 5, 2);
        checkPattern(disk, 15, SECTORS - 15, 0);
        disk.unmap(20, 5);
        TestDisks.checkZeros(disk, 0 + 20, 5);
    }

    /**
     * A write that lands between the read from below and the cache fill: the fill carries stale
     * data and must leave the newer write alone.
     */
    @Test
    void aCacheFillNeverOverwritesAWriteThatRacedTheRead() throws DiskException {
        RamLayer upper = RamLayer.create(SIZE, SS, budget);
        RamLayer lower = TestDisks.ramWithPattern(SIZE, 0, budget);
        LayeredDisk[] self = new LayeredDisk[1];
        LayerIo racing = new ForwardingLayer(lower) {
            @Override
            public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
                super.read(base, offset, sector, count, marker);
                TestDisks.write(self[0], sector + 1, 2, 3);
            }
        };
        disk = LayeredDisk.create(false, List.of(cache(upper), LayerConfiguration.of(racing)));
        self[0] = disk;
        byte[] stale = read(disk, 40, 8);
        SectorPattern.check(stale, 40 * SS, 0);
        checkPattern(disk, 40, 1, 0);
        checkPattern(disk, 41, 2, 3);
        checkPattern(disk, 43, 5, 0);
    }

    @Test
    void aCacheOverAnImageThatCannotGetMemoryStillReadsRight() throws Exception {
        MemoryBudget small = new MemoryBudget(RamLayer.CHUNK_BYTES);
        disk = LayeredDisk.create(false, List.of(cache(RamLayer.over(small)),
                LayerConfiguration.of(TestDisks.patternImage(dir, "base.img", SIZE, 4, SS))));
        int perChunk = RamLayer.CHUNK_BYTES / SS;
        checkPattern(disk, 3, perChunk - 3, 4);
        assertEquals(RamLayer.CHUNK_BYTES, disk.committedBytes(), "a fill the budget can hold");
        // A fill that needs more than the budget has is dropped; the read is right all the same.
        checkPattern(disk, 0, SECTORS, 4);
        checkPattern(disk, 0, SECTORS, 4);
        assertEquals(RamLayer.CHUNK_BYTES, small.used());
        write(disk, 0, 3, 5);
        checkPattern(disk, 0, 3, 5);
        checkPattern(disk, 3, SECTORS - 3, 4);
        disk.close();
        assertEquals(0, small.used());
    }
}

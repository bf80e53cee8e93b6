package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.ram.RamLayer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The seed's three tests ({@code disklayer_ram} {@code diff}, {@code test_resize},
 * {@code test_unmap}), ported with the seed's helpers: a RAM layer over a RAM layer that holds
 * pattern generation 0, a "guest memory" buffer, and {@code check} reporting
 * "at sector S, word W, got 0x.., expected 0x..".
 */
class SeedTest {
    static final int SECTOR = 512;
    static final int SIZE = 1024 * 1024;
    static final int SECTORS = SIZE / SECTOR;

    final MemoryBudget budget = MemoryBudget.unlimited();
    /** The seed's guest memory: reads land here, writes are staged here. */
    final byte[] mem = new byte[SIZE];
    LayeredDisk upper;

    @AfterEach
    void close() {
        if (upper != null) {
            upper.close();
        }
        assertEquals(0, budget.used(), "memory left after close");
    }

    /** {@code check(mem, sector, start, count, high)}: mem sectors from {@code start} hold disk sectors from {@code sector}. */
    void check(long sector, int start, int count, int high) {
        SectorPattern.check(mem, start * SECTOR, count * SECTOR, sector * SECTOR, high, SECTOR);
    }

    void read(long sector, int count) throws DiskException {
        upper.read(mem, BYTES, sector, count);
    }

    void write(long sector, int count, int high) throws DiskException {
        SectorPattern.fill(mem, 0, count * SECTOR, sector * SECTOR, high);
        upper.write(mem, BYTES, sector, count, false);
    }

    void writeLayer(LayerIo layer, long sector, int count, int high) throws DiskException {
        SectorPattern.fill(mem, 0, count * SECTOR, sector * SECTOR, high);
        layer.write(mem, BYTES, sector, count, false);
    }

    void prepDisk() throws DiskException {
        RamLayer lower = RamLayer.create(SIZE, SECTOR, budget);
        writeLayer(lower, 0, SECTORS, 0);
        RamLayer top = RamLayer.create(SIZE, SECTOR, budget);
        upper = LayeredDisk.create(false, List.of(LayerConfiguration.of(top), LayerConfiguration.of(lower)));
    }

    void checkZeroSectors(int from, int to) {
        for (int s = from; s < to; s++) {
            SectorPattern.checkZeros(mem, s * SECTOR, SECTOR, (long) s * SECTOR, SECTOR);
        }
    }

    @Test
    void diff() throws DiskException {
        prepDisk();
        read(10, 2);
        check(10, 0, 2, 0);
        write(10, 2, 1);
        write(11, 1, 2);
        read(9, 5);
        check(9, 0, 1, 0);
        check(10, 1, 1, 1);
        check(11, 2, 1, 2);
        check(12, 3, 1, 0);
    }

    @Test
    void testResize() throws DiskException {
        prepDisk();
        read(0, SECTORS);
        check(0, 0, SECTORS, 0);
        upper.resize(SECTORS / 2);
        upper.resize(SECTORS);
        read(0, SECTORS);
        check(0, 0, SECTORS / 2, 0);
        checkZeroSectors(SECTORS / 2, SECTORS);
    }

    /**
     * Upstream's RAM layer ignores the first unmap (it cannot hide the lower layer's data), so
     * the seed expects generation 0 back. SPEC §2 differs on purpose: an unmap always reads zeros
     * afterwards, and here that costs no memory (the "zero" state).
     */
    @Test
    void testUnmap() throws DiskException {
        prepDisk();
        upper.unmap(0, SECTORS - 1);
        read(0, SECTORS);
        checkZeroSectors(0, SECTORS - 1);
        check(SECTORS - 1, SECTORS - 1, 1, 0);
        assertEquals(0, upper.layers().get(0).committedBytes(), "zeros over a lower layer's data must not cost memory");
        upper.unmap(SECTORS / 2, SECTORS / 2);
        read(0, SECTORS);
        checkZeroSectors(0, SECTORS);
    }

    /** The seed's {@code test_unmap} with data in the top layer too: both layers' data is hidden. */
    @Test
    void testUnmapOverWrittenTop() throws DiskException {
        prepDisk();
        write(0, SECTORS, 1);
        assertEquals(SIZE, upper.layers().get(0).committedBytes());
        upper.unmap(SECTORS / 2, SECTORS / 2);
        read(0, SECTORS);
        check(0, 0, SECTORS / 2, 1);
        checkZeroSectors(SECTORS / 2, SECTORS);
        assertEquals(SIZE / 2, upper.layers().get(0).committedBytes(), "the unmapped half's memory is released");
    }
}

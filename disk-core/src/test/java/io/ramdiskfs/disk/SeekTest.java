package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.ram.RamLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SEEK_DATA / SEEK_HOLE answers, exact to the sector, through the live layer and frozen ones. */
class SeekTest {
    static final int MIB = 1 << 20;
    final MemoryBudget budget = new MemoryBudget(64L * MIB);
    LayeredDisk disk = LayeredDisk.of(RamLayer.create(8L * MIB, 512, budget), false);

    @AfterEach
    void close() {
        disk.close();
    }

    private void write(long at, int length) throws DiskException {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) 7);
        disk.bytes().write(at, b, BYTES, length);
    }

    @Test
    void anEmptyDiskIsOneHole() {
        assertEquals(-1, disk.seekData(0));
        assertEquals(0, disk.seekHole(0));
        assertEquals(4096, disk.seekHole(4096));
        assertEquals(-1, disk.seekHole(8L * MIB));
        assertEquals(-1, disk.seekData(-1));
    }

    @Test
    void dataIsFoundToTheSectorInsideAChunk() throws DiskException {
        write(100 * 1024, 4096);
        assertEquals(100 * 1024, disk.seekData(0));
        assertEquals(100 * 1024 + 100, disk.seekData(100 * 1024 + 100));
        assertEquals(104 * 1024, disk.seekHole(100 * 1024));
        assertEquals(-1, disk.seekData(104 * 1024));
        assertEquals(0, disk.seekHole(0));
    }

    @Test
    void aPunchedRangeIsAHoleAndSoAreWrittenZeros() throws DiskException {
        write(0, 2 * MIB);
        disk.bytes().unmap(MIB, 512 * 1024);
        assertEquals(MIB, disk.seekHole(0));
        assertEquals(MIB + 512 * 1024, disk.seekData(MIB));
        assertEquals(2 * MIB, disk.seekHole(MIB + 512 * 1024));
        disk.bytes().write(6L * MIB, new byte[512], BYTES, 512);
        assertEquals(-1, disk.seekData(2 * MIB), "zeros written where nothing was take no memory: a hole");
        disk.bytes().write(6L * MIB + 511, new byte[] {1}, BYTES, 1);
        assertEquals(6L * MIB, disk.seekData(2 * MIB));
    }

    @Test
    void frozenLayersShowThroughAndZerosAboveHideThem() throws DiskException {
        write(MIB, MIB);
        LayeredDisk snapshot = disk.snapshot();
        try {
            write(5L * MIB, 4096);
            disk.bytes().unmap(MIB, 64 * 1024);
            assertEquals(MIB + 64 * 1024, disk.seekData(0));
            assertEquals(2 * MIB, disk.seekHole(MIB + 64 * 1024));
            assertEquals(5L * MIB, disk.seekData(2 * MIB));
            assertEquals(MIB, snapshot.seekData(0));
            assertEquals(2 * MIB, snapshot.seekHole(MIB));
            assertEquals(-1, snapshot.seekData(2 * MIB));
        } finally {
            snapshot.close();
        }
    }

    @Test
    void aShrinkThenGrowIsAHoleEvenOverFrozenData() throws DiskException {
        write(0, 4 * MIB);
        LayeredDisk snapshot = disk.snapshot();
        try {
            disk.bytes().resize(MIB);
            disk.bytes().resize(4L * MIB);
            assertEquals(MIB, disk.seekHole(0));
            assertEquals(-1, disk.seekData(MIB));
        } finally {
            snapshot.close();
        }
    }
}

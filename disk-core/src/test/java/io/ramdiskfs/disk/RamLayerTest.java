package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static io.ramdiskfs.disk.TestDisks.assertFails;
import static io.ramdiskfs.disk.TestDisks.readLayer;
import static io.ramdiskfs.disk.TestDisks.writeLayer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.ram.RamLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The RAM layer alone: sparse chunks, the three sector states, memory accounting, resize, close. */
class RamLayerTest {
    static final int SS = 512;
    static final int CHUNK = RamLayer.CHUNK_BYTES;
    static final int PER_CHUNK = CHUNK / SS;
    static final long SIZE = 8L * CHUNK;
    static final long SECTORS = SIZE / SS;

    final MemoryBudget budget = new MemoryBudget(64L << 20);
    final RamLayer layer = RamLayer.create(SIZE, SS, budget);
    final SectorMarker marker = new SectorMarker();

    @AfterEach
    void close() {
        layer.close();
        assertEquals(0, layer.committedBytes());
        assertEquals(0, budget.used());
    }

    /** Reads with a marker, as a layer of a stack; returns the data and leaves the marks in {@link #marker}. */
    byte[] readMarked(long sector, int count) throws DiskException {
        byte[] b = new byte[count * SS];
        java.util.Arrays.fill(b, (byte) 0x5a);
        marker.reset(sector, count);
        layer.read(b, BYTES, sector, count, marker);
        return b;
    }

    void assertMarked(long from, long to, boolean marked) {
        for (long s = from; s < to; s++) {
            assertEquals(marked, marker.isSet(s), "sector " + s + (marked ? " must be marked" : " must fall through"));
        }
    }

    @Test
    void aFreshLayerHoldsNothingAndCostsNothing() throws DiskException {
        assertEquals(0, layer.committedBytes());
        SectorPattern.checkZeros(readLayer(layer, 0, (int) SECTORS), 0);
        readMarked(0, (int) SECTORS);
        assertMarked(0, SECTORS, false);
        assertEquals("ram", layer.kind());
        assertEquals(SECTORS, layer.sectorCount());
        assertFalse(layer.isReadOnly());
        assertTrue(layer.supportsWriteNoOverwrite());
    }

    @Test
    void writtenSectorsReadBackAcrossChunkBoundariesAndOnlyTheyAreMarked() throws DiskException {
        long sector = PER_CHUNK - 3;
        int count = PER_CHUNK + 6;
        writeLayer(layer, sector, count, 1);
        assertEquals(3L * CHUNK, layer.committedBytes(), "three chunks touched, three chunks held");
        SectorPattern.check(readLayer(layer, sector, count), sector * SS, 1);
        byte[] b = readMarked(0, (int) SECTORS);
        assertMarked(0, sector, false);
        assertMarked(sector, sector + count, true);
        assertMarked(sector + count, SECTORS, false);
        SectorPattern.check(java.util.Arrays.copyOfRange(b, (int) sector * SS, (int) (sector + count) * SS), sector * SS, 1);
        assertEquals(0x5a, b[0], "a sector that falls through is left untouched");
    }

    @Test
    void oneSectorCostsOneWholeChunk() throws DiskException {
        writeLayer(layer, 5, 1, 1);
        assertEquals(CHUNK, layer.committedBytes());
        assertEquals(CHUNK, budget.used());
        writeLayer(layer, 6, PER_CHUNK - 6, 2);
        assertEquals(CHUNK, layer.committedBytes(), "more sectors of the same chunk cost nothing more");
    }

    @Test
    void unmapOverDataBelowKeepsTheSectorsAsZerosWithoutMemory() throws DiskException {
        writeLayer(layer, 0, (int) SECTORS, 1);
        // The layer below holds data everywhere: the unmapped sectors must read zero, not fall through.
        layer.unmap(PER_CHUNK, 2L * PER_CHUNK + 7, SECTORS);
        assertEquals(6L * CHUNK, layer.committedBytes() - 0, "two whole chunks released; the third still holds data");
        byte[] b = readMarked(0, (int) SECTORS);
        assertMarked(0, SECTORS, true);
        SectorPattern.check(b, 0, PER_CHUNK * SS, 0, 1, SS);
        SectorPattern.checkZeros(b, PER_CHUNK * SS, (2 * PER_CHUNK + 7) * SS, PER_CHUNK * SS, SS);
        int after = (3 * PER_CHUNK + 7) * SS;
        SectorPattern.check(b, after, (int) SIZE - after, after, 1, SS);
    }

    @Test
    void unmapWithNothingBelowDropsTheSectorsSoTheyFallThrough() throws DiskException {
        writeLayer(layer, 0, (int) SECTORS, 1);
        layer.unmap(10, 2L * PER_CHUNK, 0);
        readMarked(0, (int) SECTORS);
        assertMarked(0, 10, true);
        assertMarked(10, 10 + 2L * PER_CHUNK, false);
        assertMarked(10 + 2L * PER_CHUNK, SECTORS, true);
        SectorPattern.checkZeros(readLayer(layer, 10, 2 * PER_CHUNK), 10 * SS);
        assertEquals(7L * CHUNK, layer.committedBytes(), "the one chunk left without data is released");
    }

    @Test
    void unmapOfAWholeChunkReleasesItAtOnceAndOfPartsOnlyOnceTheLastDataSectorGoes() throws DiskException {
        writeLayer(layer, 0, PER_CHUNK, 1);
        layer.unmap(0, PER_CHUNK / 2, SECTORS);
        assertEquals(CHUNK, layer.committedBytes());
        layer.unmap(PER_CHUNK / 2, PER_CHUNK / 2 - 1, 0);
        assertEquals(CHUNK, layer.committedBytes());
        layer.unmap(PER_CHUNK - 1, 1, SECTORS);
        assertEquals(0, layer.committedBytes());
        assertEquals(0, budget.used());
        writeLayer(layer, 0, (int) SECTORS, 2);
        layer.unmap(0, SECTORS, SECTORS);
        assertEquals(0, layer.committedBytes());
        SectorPattern.checkZeros(readMarked(0, (int) SECTORS), 0);
        assertMarked(0, SECTORS, true);
    }

    @Test
    void aWriteIntoAZeroChunkKeepsTheOtherSectorsZero() throws DiskException {
        layer.unmap(0, SECTORS, SECTORS);
        writeLayer(layer, 3, 2, 1);
        byte[] b = readMarked(0, PER_CHUNK);
        assertMarked(0, PER_CHUNK, true);
        SectorPattern.checkZeros(b, 0, 3 * SS, 0, SS);
        SectorPattern.check(b, 3 * SS, 2 * SS, 3 * SS, 1, SS);
        SectorPattern.checkZeros(b, 5 * SS, (PER_CHUNK - 5) * SS, 5 * SS, SS);
    }

    @Test
    void writeNoOverwriteFillsOnlyAbsentSectors() throws DiskException {
        writeLayer(layer, 0, 4, 1);
        layer.unmap(4, 4, SECTORS);
        byte[] fill = SectorPattern.sectors(0, 16, 2, SS);
        layer.writeNoOverwrite(fill, BYTES, 0, 16);
        byte[] b = readMarked(0, 16);
        assertMarked(0, 16, true);
        SectorPattern.check(b, 0, 4 * SS, 0, 1, SS);
        SectorPattern.checkZeros(b, 4 * SS, 4 * SS, 4 * SS, SS);
        SectorPattern.check(b, 8 * SS, 8 * SS, 8 * SS, 2, SS);
        layer.unmap(0, SECTORS, SECTORS);
        long committed = layer.committedBytes();
        layer.writeNoOverwrite(SectorPattern.sectors(0, PER_CHUNK, 3, SS), BYTES, 0, PER_CHUNK);
        assertEquals(committed, layer.committedBytes(), "a zero chunk takes no cache fill");
        SectorPattern.checkZeros(readLayer(layer, 0, PER_CHUNK), 0);
    }

    @Test
    void shrinkDropsDataAndMemoryAndGrowReadsZerosThatNeverFallThrough() throws DiskException {
        writeLayer(layer, 0, (int) SECTORS, 1);
        layer.resize(PER_CHUNK + 10);
        assertEquals(PER_CHUNK + 10, layer.sectorCount());
        assertEquals(2L * CHUNK, layer.committedBytes());
        assertFails(DiskError.ILLEGAL_BLOCK, () -> readLayer(layer, PER_CHUNK + 10, 1));
        layer.resize(SECTORS * 2);
        byte[] b = readMarked(0, (int) SECTORS * 2);
        assertMarked(0, SECTORS * 2, true);
        SectorPattern.check(b, 0, (PER_CHUNK + 10) * SS, 0, 1, SS);
        SectorPattern.checkZeros(b, (PER_CHUNK + 10) * SS, b.length - (PER_CHUNK + 10) * SS, (PER_CHUNK + 10) * SS, SS);
        layer.resize(0);
        assertEquals(0, layer.committedBytes());
        assertEquals(0, budget.used());
        layer.resize(SECTORS);
        readMarked(0, (int) SECTORS);
        assertMarked(0, SECTORS, true);
    }

    @Test
    void resizeRefusesNegativeAndTooLargeCounts() {
        assertFails(DiskError.INVALID_INPUT, () -> layer.resize(-1));
        assertFails(DiskError.INVALID_INPUT, () -> layer.resize(Long.MIN_VALUE));
        assertFails(DiskError.INVALID_INPUT, () -> layer.resize(SectorRange.maxSectorCount(SS) + 1));
        assertFails(DiskError.INVALID_INPUT, () -> layer.resize(Long.MAX_VALUE));
        assertEquals(SECTORS, layer.sectorCount());
    }

    @Test
    void aPebibyteLayerIsThin() throws DiskException {
        RamLayer huge = RamLayer.create(SectorRange.MAX_DISK_BYTES, SS, budget);
        try {
            long last = huge.sectorCount() - 1;
            writeLayer(huge, last, 1, 1);
            writeLayer(huge, 0, 1, 1);
            assertEquals(2L * CHUNK, huge.committedBytes());
            SectorPattern.check(readLayer(huge, last, 1), last * SS, 1);
            huge.unmap(0, huge.sectorCount(), 0);
            assertEquals(0, huge.committedBytes());
            SectorPattern.checkZeros(readLayer(huge, last - 10, 11), (last - 10) * SS);
        } finally {
            huge.close();
        }
    }

    @Test
    void largerSectorsRoundTrip() throws DiskException {
        for (int ss : new int[] {1024, 4096, 65536}) {
            RamLayer l = RamLayer.create(4L * 65536, ss, budget);
            try {
                int n = (int) l.sectorCount();
                byte[] b = SectorPattern.sectors(1, n - 2, 3, ss);
                l.write(b, BYTES, 1, n - 2, false);
                byte[] r = readLayer(l, 0, n);
                SectorPattern.checkZeros(r, 0, ss, 0, ss);
                SectorPattern.check(r, ss, (n - 2) * ss, ss, 3, ss);
                SectorPattern.checkZeros(r, (n - 1) * ss, ss, (long) (n - 1) * ss, ss);
                l.unmap(1, 1, n);
                SectorPattern.checkZeros(readLayer(l, 1, 1), 0, ss, ss, ss);
            } finally {
                l.close();
            }
        }
    }

    @Test
    void createRefusesBadGeometry() {
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(SIZE, 1000, budget));
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(SIZE, 256, budget));
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(SIZE, 1 << 17, budget));
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(-512, SS, budget));
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(SIZE + 1, SS, budget));
        assertThrows(IllegalArgumentException.class, () -> RamLayer.create(SectorRange.MAX_DISK_BYTES + SS, SS, budget));
        assertEquals(0, RamLayer.create(0, SS, budget).sectorCount());
    }

    @Test
    void aClosedLayerReleasesEverythingAndRefusesIo() throws DiskException {
        writeLayer(layer, 0, (int) SECTORS, 1);
        layer.close();
        layer.close();
        assertEquals(0, layer.committedBytes());
        assertEquals(0, budget.used());
        assertFails(DiskError.IO, () -> readLayer(layer, 0, 1));
        assertFails(DiskError.IO, () -> writeLayer(layer, 0, 1, 1));
        assertFails(DiskError.IO, () -> layer.unmap(0, 1, SECTORS));
        assertFails(DiskError.IO, () -> layer.resize(1));
        assertEquals(0, budget.used());
    }
}

package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static io.ramdiskfs.disk.TestDisks.checkPattern;
import static io.ramdiskfs.disk.TestDisks.checkZeros;
import static io.ramdiskfs.disk.TestDisks.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmap reads zeros afterwards whatever lies below — the "zero" state upstream lacks — and gives
 * memory back; a shrink followed by a grow reads zeros, never older data from this or a lower
 * layer.
 */
class UnmapTest {
    static final int SS = 512;
    static final int CHUNK = RamLayer.CHUNK_BYTES;
    static final int PER_CHUNK = CHUNK / SS;
    static final int SIZE = 16 * CHUNK;
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

    LayeredDisk overImage() throws Exception {
        return TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base.img", SIZE, 1, SS));
    }

    LayeredDisk overRam() throws DiskException {
        return TestDisks.stack(false, RamLayer.create(SIZE, SS, budget), TestDisks.ramWithPattern(SIZE, 1, budget));
    }

    long topCommitted() {
        return disk.layers().get(0).committedBytes();
    }

    @Test
    void unmapOverAnImageReadsZerosAndReleasesMemory() throws Exception {
        disk = overImage();
        write(disk, 0, SECTORS, 2);
        assertEquals(SIZE, topCommitted());
        long from = PER_CHUNK + 5;
        long count = 4L * PER_CHUNK;
        disk.unmap(from, count);
        checkPattern(disk, 0, (int) from, 2);
        checkZeros(disk, from, (int) count);
        checkPattern(disk, from + count, (int) (SECTORS - from - count), 2);
        assertEquals(SIZE - 3L * CHUNK, topCommitted(), "the three chunks left without data are released");
        disk.unmap(0, SECTORS);
        checkZeros(disk, 0, SECTORS);
        assertEquals(0, topCommitted());
        assertEquals(0, budget.used());
    }

    @Test
    void unmapOfSectorsNeverWrittenHidesTheImageWithoutMemory() throws Exception {
        disk = overImage();
        disk.unmap(3, SECTORS - 6);
        checkPattern(disk, 0, 3, 1);
        checkZeros(disk, 3, SECTORS - 6);
        checkPattern(disk, SECTORS - 3, 3, 1);
        assertEquals(0, topCommitted());
        SectorPattern.checkFile(dir.resolve("base.img"), 0, SIZE, 1, SS);
    }

    @Test
    void byteUnmapOverAnImageZeroesPartialSectorsAndReleasesWholeChunks() throws Exception {
        disk = overImage();
        DiskBytes bytes = disk.bytes();
        byte[] all = new byte[SIZE];
        SectorPattern.fill(all, 0, SIZE, 0, 3);
        bytes.write(0, all, BYTES, SIZE);
        long from = 3L * CHUNK - 100;
        long to = 9L * CHUNK + 77;
        bytes.unmap(from, to - from);
        byte[] back = new byte[SIZE];
        assertEquals(SIZE, bytes.read(0, back, BYTES, SIZE));
        SectorPattern.check(back, 0, (int) from, 0, 3, SS);
        SectorPattern.checkZeros(back, (int) from, (int) (to - from), from, SS);
        SectorPattern.check(back, (int) to, (int) (SIZE - to), to, 3, SS);
        assertEquals(SIZE - 6L * CHUNK, topCommitted(), "chunks 3..8 held only zeros afterwards");
    }

    @Test
    void byteUnmapOfNeverWrittenBytesOverAnImage() throws Exception {
        disk = overImage();
        disk.bytes().unmap(1000, 3 * CHUNK);
        byte[] back = new byte[SIZE];
        disk.bytes().read(0, back, BYTES, SIZE);
        SectorPattern.check(back, 0, 1000, 0, 1, SS);
        SectorPattern.checkZeros(back, 1000, 3 * CHUNK, 1000, SS);
        SectorPattern.check(back, 1000 + 3 * CHUNK, SIZE - 1000 - 3 * CHUNK, 1000 + 3 * CHUNK, 1, SS);
        assertTrue(topCommitted() <= 2L * CHUNK, "only the two partial sectors take memory: " + topCommitted());
    }

    @Test
    void aWriteNextToUnmappedSectorsKeepsThemZero() throws Exception {
        disk = overImage();
        disk.unmap(0, PER_CHUNK);
        write(disk, 10, 1, 2);
        checkZeros(disk, 0, 10);
        checkPattern(disk, 10, 1, 2);
        checkZeros(disk, 11, PER_CHUNK - 11);
        checkPattern(disk, PER_CHUNK, SECTORS - PER_CHUNK, 1);
        disk.bytes().write(5 * SS + 7, new byte[] {9}, BYTES, 1);
        byte[] b = TestDisks.read(disk, 5, 1);
        assertEquals(9, b[7]);
        b[7] = 0;
        SectorPattern.checkZeros(b, 5 * SS);
    }

    @Test
    void unmapOverRamHidesBothLayers() throws Exception {
        disk = overRam();
        write(disk, 0, SECTORS / 2, 2);
        disk.unmap(SECTORS / 4, SECTORS / 2);
        checkPattern(disk, 0, SECTORS / 4, 2);
        checkZeros(disk, SECTORS / 4, SECTORS / 2);
        checkPattern(disk, 3 * SECTORS / 4, SECTORS / 4, 1);
        assertEquals(SIZE / 4, topCommitted());
    }

    @Test
    void unmapOfAThreeLayerStackHidesEveryLayer() throws Exception {
        RamLayer middle = TestDisks.ramWithPattern(SIZE, 2, budget);
        disk = TestDisks.stack(false, RamLayer.over(budget), middle, TestDisks.patternImage(dir, "base.img", SIZE, 1, SS));
        middle.unmap(0, PER_CHUNK, 0);
        checkPattern(disk, 0, PER_CHUNK, 1);
        disk.unmap(PER_CHUNK / 2, PER_CHUNK);
        checkPattern(disk, 0, PER_CHUNK / 2, 1);
        checkZeros(disk, PER_CHUNK / 2, PER_CHUNK);
        checkPattern(disk, 3 * PER_CHUNK / 2, SECTORS - 3 * PER_CHUNK / 2, 2);
    }

    @Test
    void shrinkThenGrowReadsZerosOverRam() throws Exception {
        disk = overRam();
        write(disk, 0, 10, 2);
        disk.resize(SECTORS / 2 + 3);
        disk.resize(SECTORS);
        checkPattern(disk, 0, 10, 2);
        checkPattern(disk, 10, SECTORS / 2 + 3 - 10, 1);
        checkZeros(disk, SECTORS / 2 + 3, SECTORS / 2 - 3);
    }

    @Test
    void shrinkThenGrowReadsZerosOverAnImage() throws Exception {
        disk = overImage();
        write(disk, SECTORS - 10, 10, 2);
        disk.bytes().resize(SIZE / 4);
        assertEquals(0, topCommitted(), "the shrink dropped the written chunk");
        disk.bytes().resize(2L * SIZE);
        checkPattern(disk, 0, SECTORS / 4, 1);
        checkZeros(disk, SECTORS / 4, 2 * SECTORS - SECTORS / 4);
        disk.resize(0);
        disk.resize(SECTORS);
        checkZeros(disk, 0, SECTORS);
        assertEquals(0, topCommitted());
    }

    @Test
    void growByWriteReadsZerosBetweenTheOldEndAndTheWrite() throws Exception {
        disk = overImage();
        disk.bytes().resize(SIZE / 2);
        disk.bytes().write(SIZE - 3, new byte[] {1, 2, 3}, BYTES, 3);
        assertEquals(SIZE, disk.sizeBytes());
        checkPattern(disk, 0, SECTORS / 2, 1);
        checkZeros(disk, SECTORS / 2, SECTORS / 2 - 1);
    }

    @Test
    void unmapInAReadCacheStackReadsZeros() throws Exception {
        disk = LayeredDisk.create(false, List.of(new LayerConfiguration(RamLayer.over(budget), false, true),
                LayerConfiguration.of(TestDisks.patternImage(dir, "base.img", SIZE, 1, SS))));
        checkPattern(disk, 0, SECTORS, 1);
        assertEquals(SIZE, topCommitted(), "the read filled the cache");
        disk.unmap(0, SECTORS / 2);
        checkZeros(disk, 0, SECTORS / 2);
        checkPattern(disk, SECTORS / 2, SECTORS / 2, 1);
        assertEquals(SIZE / 2, topCommitted());
    }
}

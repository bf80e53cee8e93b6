package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.assertFails;
import static io.ramdiskfs.disk.TestDisks.checkPattern;
import static io.ramdiskfs.disk.TestDisks.checkZeros;
import static io.ramdiskfs.disk.TestDisks.write;
import static io.ramdiskfs.disk.TestDisks.writeLayer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads falling through the stack, writes along the write path, read-only disks, sizes. */
class LayeredDiskTest {
    static final int SS = 512;
    static final int SIZE = 512 * 1024;
    static final int SECTORS = SIZE / SS;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    LayeredDisk disk;

    @AfterEach
    void close() {
        if (disk != null) {
            disk.close();
        }
        assertEquals(0, budget.used());
    }

    RamLayer ram(long size) {
        return RamLayer.create(size, SS, budget);
    }

    FileLayer image(long size, int generation) throws Exception {
        return TestDisks.patternImage(dir, "image-" + generation + ".img", size, generation, SS);
    }

    @Test
    void eachSectorComesFromTheHighestLayerThatHoldsIt() throws Exception {
        RamLayer top = ram(SIZE);
        RamLayer middle = ram(SIZE);
        writeLayer(top, 10, 5, 2);
        writeLayer(middle, 12, 10, 1);
        disk = TestDisks.stack(false, top, middle, image(SIZE, 0));
        checkPattern(disk, 0, 10, 0);
        checkPattern(disk, 10, 5, 2);
        checkPattern(disk, 15, 7, 1);
        checkPattern(disk, 22, SECTORS - 22, 0);
    }

    @Test
    void sectorsNoLayerHoldsReadZeros() throws DiskException {
        disk = TestDisks.stack(false, ram(SIZE), ram(SIZE));
        writeLayer(disk.layers().get(1), 3, 1, 1);
        checkZeros(disk, 0, 3);
        checkPattern(disk, 3, 1, 1);
        checkZeros(disk, 4, SECTORS - 4);
    }

    @Test
    void aLowerLayerIsNeverReadPastTheSmallestSizeAboveIt() throws Exception {
        // A top larger than the image: the part past the image reads zeros, never garbage.
        disk = TestDisks.stack(false, ram(2L * SIZE), image(SIZE, 1));
        checkPattern(disk, 0, SECTORS, 1);
        checkZeros(disk, SECTORS, SECTORS);
        // A middle layer smaller than the bottom hides the bottom past its own end.
        disk.close();
        RamLayer small = ram(SIZE / 2);
        disk = TestDisks.stack(false, ram(SIZE), small, image(SIZE, 2));
        checkPattern(disk, 0, SECTORS / 2, 2);
        checkZeros(disk, SECTORS / 2, SECTORS / 2);
    }

    @Test
    void writesLandInTheTopLayerOnly() throws Exception {
        RamLayer lower = ram(SIZE);
        disk = TestDisks.stack(false, ram(SIZE), lower, image(SIZE, 0));
        write(disk, 100, 50, 3);
        checkPattern(disk, 100, 50, 3);
        assertEquals(0, lower.committedBytes());
        SectorPattern.checkZeros(TestDisks.readLayer(lower, 100, 50), 100 * SS);
        SectorPattern.checkFile(dir.resolve("image-0.img"), 0, SIZE, 0, SS);
    }

    @Test
    void writeThroughLayersPassWritesAndUnmapsDown() throws Exception {
        RamLayer top = ram(SIZE);
        RamLayer middle = ram(SIZE);
        RamLayer bottom = ram(SIZE);
        disk = LayeredDisk.create(false, List.of(new LayerConfiguration(top, true, false), LayerConfiguration.of(middle),
                LayerConfiguration.of(bottom)));
        write(disk, 7, 9, 4);
        SectorPattern.check(TestDisks.readLayer(top, 7, 9), 7 * SS, 4);
        SectorPattern.check(TestDisks.readLayer(middle, 7, 9), 7 * SS, 4);
        assertEquals(0, bottom.committedBytes(), "the write path ends at the first layer that is not write-through");
        disk.unmap(0, SECTORS);
        checkZeros(disk, 0, SECTORS);
        assertEquals(0, disk.committedBytes());
        disk.flush();
    }

    /**
     * A write-through stack whose lower layer is smaller than the top (the top was created larger
     * or grown): a write past the lower layer's end must fail as a whole, not land in the top
     * alone.
     */
    @Test
    void aWriteThatTheLowerWritePathLayerCannotTakeChangesNothing() throws Exception {
        RamLayer top = ram(SIZE);
        RamLayer lower = ram(SIZE / 2);
        disk = LayeredDisk.create(false, List.of(new LayerConfiguration(top, true, false), LayerConfiguration.of(lower)));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> write(disk, SECTORS / 2 - 1, 2, 5));
        assertEquals(0, disk.committedBytes());
        checkZeros(disk, 0, SECTORS);
        disk.resize(2 * SECTORS);
        assertFails(DiskError.ILLEGAL_BLOCK, () -> disk.bytes().write(2L * SIZE - 10, new byte[20], TestDisks.BYTES, 20));
        assertEquals(0, disk.committedBytes());
        assertEquals(2L * SIZE, disk.sizeBytes(), "a failed write does not grow the disk");
    }

    @Test
    void aReadOnlyDiskRefusesEveryChange() throws Exception {
        disk = LayeredDisk.create(true, List.of(LayerConfiguration.of(RamLayer.over(budget)), LayerConfiguration.of(image(SIZE, 1))));
        assertTrue(disk.isReadOnly());
        byte[] b = new byte[SS];
        assertFails(DiskError.READ_ONLY, () -> disk.write(b, TestDisks.BYTES, 0, 1, false));
        assertFails(DiskError.READ_ONLY, () -> disk.unmap(0, 1));
        assertFails(DiskError.READ_ONLY, () -> disk.resize(1));
        assertFails(DiskError.READ_ONLY, () -> disk.bytes().write(0, b, TestDisks.BYTES, 3));
        assertFails(DiskError.READ_ONLY, () -> disk.bytes().write(SIZE, b, TestDisks.BYTES, 3));
        assertFails(DiskError.READ_ONLY, () -> disk.bytes().unmap(0, 3));
        assertFails(DiskError.READ_ONLY, () -> disk.bytes().resize(0));
        assertEquals(SIZE, disk.sizeBytes());
        checkPattern(disk, 0, SECTORS, 1);
        assertEquals(0, disk.committedBytes());
    }

    @Test
    void theSizeIsTheTopLayersAndResizeChecksItsArgument() throws Exception {
        disk = TestDisks.stack(false, RamLayer.over(budget), image(SIZE, 0));
        assertEquals(SECTORS, disk.sectorCount());
        assertEquals(SIZE, disk.sizeBytes());
        assertEquals(SS, disk.sectorSize());
        disk.resize(3);
        assertEquals(3, disk.sectorCount());
        assertEquals(3, disk.layers().get(0).sectorCount());
        assertEquals(SECTORS, disk.layers().get(1).sectorCount());
        assertFails(DiskError.INVALID_INPUT, () -> disk.resize(-1));
        assertFails(DiskError.TOO_LARGE, () -> disk.resize(Long.MAX_VALUE));
        assertFails(DiskError.TOO_LARGE, () -> disk.resize(SectorRange.maxSectorCount(SS) + 1));
        disk.resize(SectorRange.maxSectorCount(SS));
        assertEquals(SectorRange.MAX_DISK_BYTES, disk.sizeBytes());
        checkPattern(disk, 0, 3, 0);
        checkZeros(disk, 3, SECTORS);
    }

    @Test
    void byteBufferIoNeedsWholeSectors() throws DiskException {
        disk = LayeredDisk.of(ram(SIZE), false);
        ByteBuffer src = ByteBuffer.allocateDirect(4 * SS);
        SectorPattern.fill(src, 8L * SS, 6);
        disk.write(src, 8, false);
        ByteBuffer dst = ByteBuffer.allocate(4 * SS);
        disk.read(dst, 8);
        assertEquals(0, dst.position());
        SectorPattern.check(dst, 8L * SS, 6, SS);
        assertFails(DiskError.INVALID_INPUT, () -> disk.read(ByteBuffer.allocate(SS + 1), 0));
        assertFails(DiskError.INVALID_INPUT, () -> disk.write(ByteBuffer.allocate(SS - 1), 0, false));
    }

    @Test
    void closeReturnsEveryLayersMemory() throws Exception {
        RamLayer middle = ram(SIZE);
        writeLayer(middle, 0, SECTORS, 1);
        disk = TestDisks.stack(false, RamLayer.over(budget), middle, image(SIZE, 0));
        write(disk, 0, SECTORS, 2);
        assertEquals(2L * SIZE, disk.committedBytes());
        assertEquals(2L * SIZE, budget.used());
        disk.close();
        assertEquals(0, disk.committedBytes());
        assertEquals(0, budget.used());
        assertFails(DiskError.IO, () -> TestDisks.read(disk, 0, 1));
        disk = null;
    }

    @Test
    void describesItsLayersTopFirst() throws Exception {
        disk = TestDisks.stack(true, RamLayer.over(budget), image(SIZE, 0));
        String s = disk.toString();
        assertTrue(s.matches("LayeredDisk\\(ram:\\d+ bytes over file:.*image-0\\.img, ro\\)"), s);
    }
}

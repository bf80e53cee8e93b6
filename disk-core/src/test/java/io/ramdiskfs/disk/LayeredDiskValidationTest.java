package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.InvalidLayeredDiskException.Reason;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every reason a stack is refused, each naming the offending layer (0 = top). */
class LayeredDiskValidationTest {
    static final int SIZE = 256 * 1024;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    FileLayer image;

    @BeforeEach
    void image() throws Exception {
        image = TestDisks.patternImage(dir, "base.img", SIZE, 0, 512);
    }

    @AfterEach
    void noMemoryLeft() {
        image.close();
        assertEquals(0, budget.used(), "a refused stack must close what it attached");
    }

    RamLayer ram() {
        return RamLayer.create(SIZE, 512, budget);
    }

    static LayerConfiguration plain(LayerSource s) {
        return LayerConfiguration.of(s);
    }

    static LayerConfiguration writeThrough(LayerSource s) {
        return new LayerConfiguration(s, true, false);
    }

    static LayerConfiguration readCache(LayerSource s) {
        return new LayerConfiguration(s, false, true);
    }

    void refused(Reason reason, int layer, boolean readOnly, List<LayerConfiguration> stack) {
        InvalidLayeredDiskException e = assertThrows(InvalidLayeredDiskException.class, () -> LayeredDisk.create(readOnly, stack));
        assertEquals(reason, e.reason(), e::getMessage);
        assertEquals(layer, e.layerIndex(), e::getMessage);
        assertTrue(e.getMessage().startsWith("layer " + layer + ": "), () -> "the message must name the layer: " + e.getMessage());
    }

    @Test
    void aStackWithoutLayersIsRefused() {
        refused(Reason.NO_LAYERS, 0, false, List.of());
    }

    @Test
    void layersWithDifferentSectorSizesAreRefusedAtTheUpperOne() throws Exception {
        RamLayer big = RamLayer.create(SIZE, 4096, budget);
        refused(Reason.MISMATCHED_SECTOR_SIZE, 0, false, List.of(plain(big), plain(image)));
        refused(Reason.MISMATCHED_SECTOR_SIZE, 1, false,
                List.of(plain(ram()), plain(RamLayer.create(SIZE, 4096, budget)), plain(image)));
    }

    @Test
    void aSectorSizeThatIsNoPowerOfTwoIsRefused() {
        LayerIo odd = new StubLayer(1000);
        refused(Reason.INVALID_SECTOR_SIZE, 1, false, List.of(plain(ram()), plain(odd)));
    }

    @Test
    void writeThroughAtTheBottomIsRefused() {
        refused(Reason.USELESS_WRITE_THROUGH, 0, false, List.of(writeThrough(ram())));
        refused(Reason.USELESS_WRITE_THROUGH, 1, false, List.of(writeThrough(ram()), writeThrough(ram())));
    }

    @Test
    void writeThroughThatIsNotContiguousFromTheTopIsRefused() {
        refused(Reason.USELESS_WRITE_THROUGH, 1, false, List.of(plain(ram()), writeThrough(ram()), plain(ram())));
        refused(Reason.USELESS_WRITE_THROUGH, 2, false,
                List.of(writeThrough(ram()), plain(ram()), writeThrough(ram()), plain(image)));
    }

    @Test
    void aReadCacheOnALayerThatCannotWriteWithoutOverwritingIsRefused() {
        refused(Reason.READ_CACHE_NOT_SUPPORTED, 1, true, List.of(plain(ram()), readCache(image)));
        refused(Reason.READ_CACHE_NOT_SUPPORTED, 0, true, List.of(readCache(image)));
    }

    @Test
    void aSecondReadCacheIsRefused() {
        InvalidLayeredDiskException e = assertThrows(InvalidLayeredDiskException.class, () -> LayeredDisk.create(false,
                List.of(readCache(ram()), readCache(ram()), plain(image))));
        assertEquals(Reason.MULTIPLE_READ_CACHES, e.reason());
        // Layers attach bottom-up, so the upper cache is the second one seen; the message names the other.
        assertEquals(0, e.layerIndex(), e::getMessage);
        assertTrue(e.getMessage().contains("layer 1"), e::getMessage);
    }

    @Test
    void aReadOnlyLayerInTheWritePathOfAWritableDiskIsRefused() {
        refused(Reason.READ_ONLY_LAYER_IN_WRITE_PATH, 0, false, List.of(plain(image)));
        refused(Reason.READ_ONLY_LAYER_IN_WRITE_PATH, 1, false, List.of(writeThrough(ram()), plain(image)));
    }

    @Test
    void aReadOnlyLayerOutsideTheWritePathOrOnAReadOnlyDiskIsFine() throws DiskException {
        try (LayeredDisk d = LayeredDisk.create(false, List.of(plain(ram()), plain(image)))) {
            TestDisks.checkPattern(d, 0, SIZE / 512, 0);
        }
        image = FileLayer.open(image.path(), 512);
        try (LayeredDisk d = LayeredDisk.create(true, List.of(plain(image)))) {
            TestDisks.checkPattern(d, 0, SIZE / 512, 0);
        }
    }

    @Test
    void aLazyRamLayerWithNothingBelowIsRefused() {
        refused(Reason.ATTACH_FAILED, 0, false, List.of(plain(RamLayer.over(budget))));
        refused(Reason.ATTACH_FAILED, 1, false, List.of(plain(ram()), plain(RamLayer.over(budget))));
    }

    @Test
    void aLazyRamLayerTakesTheSizeAndSectorSizeOfTheLayerBelow() throws Exception {
        FileLayer big = TestDisks.patternImage(dir, "big.img", 3 * 4096, 1, 4096);
        try (LayeredDisk d = LayeredDisk.create(false, List.of(plain(RamLayer.over(budget)), plain(big)))) {
            assertEquals(4096, d.sectorSize());
            assertEquals(3, d.sectorCount());
            assertEquals(4096, d.layers().get(0).sectorSize());
            TestDisks.checkPattern(d, 0, 3, 1);
        }
    }

    /** A layer that reports whatever sector size it is given and holds nothing. */
    static final class StubLayer implements LayerIo {
        private final int sectorSize;

        StubLayer(int sectorSize) {
            this.sectorSize = sectorSize;
        }

        @Override
        public String kind() {
            return "stub";
        }

        @Override
        public String description() {
            return "stub";
        }

        @Override
        public int sectorSize() {
            return sectorSize;
        }

        @Override
        public long sectorCount() {
            return SIZE / 512;
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public void read(Object base, long offset, long sector, int count, SectorMarker marker) {}

        @Override
        public void write(Object base, long offset, long sector, int count, boolean fua) {}

        @Override
        public void unmap(long sector, long count, long zeroBelowFrom) {}

        @Override
        public void flush() {}

        @Override
        public long committedBytes() {
            return 0;
        }
    }
}

package io.ramdiskfs.disk;

import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/**
 * A RAM layer attached lazily over an image (the {@code memdiff:} case), operated directly as
 * the layer of a two-layer stack: reads mark only what the RAM layer holds, unmaps must hide the
 * image's data.
 */
class LazyRamOverFileContractTest extends LayerContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        FileLayer image = TestDisks.patternImage(dir, "base.img", SIZE, 0, 512);
        LayerIo ram = RamLayer.over(budget).attach(image);
        LayeredDisk view = LayeredDisk.create(false, List.of(LayerConfiguration.of(ram), LayerConfiguration.of(image)));
        return layer(ram, view, image, true);
    }
}

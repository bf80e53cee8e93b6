package io.ramdiskfs.disk;

import io.ramdiskfs.disk.image.FileLayer;
import java.nio.file.Path;

/** A raw image: read-only, every write and unmap is refused with READ_ONLY. */
class FileLayerContractTest extends LayerContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        FileLayer image = TestDisks.patternImage(dir, "base.img", SIZE, 0, 512);
        return layer(image, LayeredDisk.of(image, true), null, false);
    }
}

package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/** A RAM read cache over an image. */
class ReadCacheOverFileDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        return disk(LayeredDisk.create(false, List.of(new LayerConfiguration(RamLayer.over(budget), false, true),
                plain(image(dir)))), true);
    }
}

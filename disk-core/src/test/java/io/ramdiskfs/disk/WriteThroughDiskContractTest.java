package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/** A write-through RAM layer over a RAM layer over an image: writes land in both RAM layers. */
class WriteThroughDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        return disk(LayeredDisk.create(false, List.of(new LayerConfiguration(RamLayer.over(budget), true, false),
                plain(RamLayer.over(budget)), plain(image(dir)))), true);
    }
}

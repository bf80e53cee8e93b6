package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/** A lazy RAM layer over an image. */
class RamOverFileDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        return disk(LayeredDisk.create(false, List.of(plain(RamLayer.over(budget)), plain(image(dir)))), true);
    }
}

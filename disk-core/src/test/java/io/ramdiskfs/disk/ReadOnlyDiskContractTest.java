package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/** A read-only disk: a RAM layer over an image, every write refused. */
class ReadOnlyDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        return disk(LayeredDisk.create(true, List.of(plain(RamLayer.over(budget)), plain(image(dir)))), false);
    }
}

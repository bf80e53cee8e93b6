package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;

/** One RAM layer, its lower half written. */
class SingleRamDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        RamLayer ram = RamLayer.create(SIZE, 512, budget);
        TestDisks.writeLayer(ram, 0, SIZE / 512 / 2, 0);
        return disk(LayeredDisk.of(ram, false), true);
    }
}

package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;

/** An empty RAM layer over a RAM layer that holds data everywhere. */
class RamOverRamDiskContractTest extends DiskStackContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        RamLayer lower = TestDisks.ramWithPattern(SIZE, 0, budget);
        return disk(LayeredDisk.create(false, List.of(plain(RamLayer.create(SIZE, 512, budget)), plain(lower))), true);
    }
}

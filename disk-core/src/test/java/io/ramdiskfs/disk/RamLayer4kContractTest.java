package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;

/** A lone RAM layer of 4 KiB sectors, its lower half written. */
class RamLayer4kContractTest extends LayerContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        RamLayer layer = RamLayer.create(SIZE, 4096, budget);
        TestDisks.writeLayer(layer, 0, SIZE / 4096 / 2, 0);
        return layer(layer, LayeredDisk.of(layer, false), null, true);
    }
}

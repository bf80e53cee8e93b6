package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;

/** A lone RAM layer, its lower half written. */
class RamLayerContractTest extends LayerContractTest {
    @Override
    protected Subject create(MemoryBudget budget, Path dir) throws Exception {
        RamLayer layer = RamLayer.create(SIZE, 512, budget);
        TestDisks.writeLayer(layer, 0, SIZE / 512 / 2, 0);
        return layer(layer, LayeredDisk.of(layer, false), null, true);
    }
}

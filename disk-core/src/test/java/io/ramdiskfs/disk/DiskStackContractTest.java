package io.ramdiskfs.disk;

import io.ramdiskfs.disk.image.FileLayer;
import java.nio.file.Path;

/** The contract for whole disks; each subclass is one kind of stack. */
abstract class DiskStackContractTest extends LayerContractTest {
    static FileLayer image(Path dir) throws Exception {
        return TestDisks.patternImage(dir, "base.img", SIZE, 0, 512);
    }

    static LayerConfiguration plain(LayerSource s) {
        return LayerConfiguration.of(s);
    }
}

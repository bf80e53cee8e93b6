package io.ramdiskfs.fs;

import io.ramdiskfs.disk.LayeredDisk;

/** Makes the empty disk behind a newly created file. */
@FunctionalInterface
public interface DiskFactory {
    LayeredDisk emptyDisk();
}

package io.ramdiskfs.disks;

/** A door's hold on a disk ({@link ServedDisk#hold}); closing it twice is harmless. */
public interface DiskHold extends AutoCloseable {
    @Override
    void close();
}

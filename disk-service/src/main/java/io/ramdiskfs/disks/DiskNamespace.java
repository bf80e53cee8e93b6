package io.ramdiskfs.disks;

import java.util.List;
import java.util.Optional;

/** The disks of one mount, by name, as the doors see them. */
public interface DiskNamespace {
    /** The disks present now, in no particular order. */
    List<ServedDisk> disks();

    Optional<ServedDisk> find(String name);

    /**
     * Starts telling {@code watcher} of changes: first {@link NamespaceWatcher#created} for every
     * disk present, then each change as it happens, until the returned handle is closed.
     */
    AutoCloseable watch(NamespaceWatcher watcher);
}

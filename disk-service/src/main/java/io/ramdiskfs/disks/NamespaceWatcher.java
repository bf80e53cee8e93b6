package io.ramdiskfs.disks;

/**
 * Told of every change to a mount's set of disks, so that a door can follow it (a vhost-user-blk
 * socket is created, renamed, re-permissioned and removed with its disk). Calls arrive in the order
 * the changes happened, after each change, outside the namespace's lock; a watcher must not block
 * for long and must not throw (what it throws is logged and dropped).
 */
public interface NamespaceWatcher {
    /** A disk appeared: at mount, or created by {@code dd}, {@code cp}, {@code truncate}, a clone. */
    void created(ServedDisk disk);

    /** A disk got a new name ({@code mv}); {@code disk.name()} is the new one. */
    void renamed(ServedDisk disk, String oldName);

    /** A disk left the namespace ({@code rm}, or the unmount); it may still be held open. */
    void removed(ServedDisk disk, String name);

    /** The disk file's mode or owner changed ({@code chmod}, {@code chown}). */
    void attributesChanged(ServedDisk disk);

    /** The disk's size changed ({@code truncate}); a VM sees it as a configuration change. */
    void resized(ServedDisk disk);
}

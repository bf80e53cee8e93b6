package io.ramdiskfs.fs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named snapshots of a mount, oldest first: each name holds, per disk name, a read-only
 * {@link DiskFile} over the disk's frozen chain at the snapshot's instant. This is what
 * {@code MOUNT/.snap/NAME/DISK} shows. Guarded by the {@link DiskDirectory}'s monitor.
 */
final class SnapshotTable {
    /** One named snapshot: its disks (by the names they had when it was taken) and when. */
    static final class Snapshot {
        final String name;
        final long inode;
        final long timeNanos;
        final Map<String, DiskFile> disks = new LinkedHashMap<>();

        Snapshot(String name, long inode, long timeNanos) {
            this.name = name;
            this.inode = inode;
            this.timeNanos = timeNanos;
        }
    }

    private final Map<String, Snapshot> byName = new LinkedHashMap<>();

    Snapshot get(String name) {
        return byName.get(name);
    }

    Snapshot add(String name, long inode, long timeNanos) {
        Snapshot s = new Snapshot(name, inode, timeNanos);
        byName.put(name, s);
        return s;
    }

    Snapshot remove(String name) {
        return byName.remove(name);
    }

    /** Names, oldest first. */
    List<String> names() {
        return new ArrayList<>(byName.keySet());
    }

    /** Names of the snapshots that hold a disk called {@code disk}, oldest first. */
    List<String> namesHolding(String disk) {
        List<String> names = new ArrayList<>();
        for (Snapshot s : byName.values()) {
            if (s.disks.containsKey(disk)) {
                names.add(s.name);
            }
        }
        return names;
    }

    /** Every snapshot file, for closing them all at unmount. */
    List<DiskFile> allFiles() {
        List<DiskFile> all = new ArrayList<>();
        for (Snapshot s : byName.values()) {
            all.addAll(s.disks.values());
        }
        return all;
    }
}

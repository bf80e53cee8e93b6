package io.ramdiskfs.fs;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named snapshots of a mount, oldest first: each name holds, per disk, a read-only
 * {@link DiskFile} over the disk's frozen chain at the snapshot's instant. This is what
 * {@code MOUNT/.snap/NAME/DISK} shows. Guarded by the {@link DirectoryLock}.
 *
 * <p>A snapshot belongs to the disk it was taken of, by the disk's identity ({@link DiskFile#id},
 * its inode number, which a rename keeps and no new disk reuses), not by its name: a name can be
 * given to another disk (rm and create again, {@code mv a b; mv c a}), and rolling that disk back
 * to the first one's data would hand one user's bytes to another (issue #20 item 5).
 */
final class SnapshotTable {
    /** One disk in a snapshot: the disk it was taken of and the frozen file. */
    record Entry(long diskId, DiskFile file) {}

    /** One named snapshot: its disks (by the names they had when it was taken, what .snap/NAME lists) and when. */
    static final class Snapshot {
        final String name;
        final long inode;
        final long timeNanos;
        /** Who made it: only they (and root, and the daemon's user) may add disks to it. */
        final int ownerUid;
        private final Map<String, Entry> byName = new LinkedHashMap<>();

        Snapshot(String name, long inode, long timeNanos, int ownerUid) {
            this.name = name;
            this.inode = inode;
            this.timeNanos = timeNanos;
            this.ownerUid = ownerUid;
        }

        /** The snapshot file listed as {@code disk} in this snapshot, or null. */
        DiskFile file(String disk) {
            Entry e = byName.get(disk);
            return e == null ? null : e.file();
        }

        /** The disk id of the entry listed as {@code disk}, or -1. */
        long diskIdOf(String disk) {
            Entry e = byName.get(disk);
            return e == null ? -1 : e.diskId();
        }

        /** The name under which this snapshot lists the disk whose id is {@code diskId}, or null. */
        String nameOf(long diskId) {
            for (var e : byName.entrySet()) {
                if (e.getValue().diskId() == diskId) {
                    return e.getKey();
                }
            }
            return null;
        }

        void put(String disk, long diskId, DiskFile file) {
            byName.put(disk, new Entry(diskId, file));
        }

        /** Removes the entry listed as {@code disk}; its file, or null. */
        DiskFile remove(String disk) {
            Entry e = byName.remove(disk);
            return e == null ? null : e.file();
        }

        /** The names listed, in the order taken. */
        List<String> names() {
            return new ArrayList<>(byName.keySet());
        }

        /** Listed name to entry, in the order taken. */
        Map<String, Entry> entries() {
            return byName;
        }

        Collection<DiskFile> files() {
            List<DiskFile> all = new ArrayList<>();
            for (Entry e : byName.values()) {
                all.add(e.file());
            }
            return all;
        }
    }

    private final Map<String, Snapshot> byName = new LinkedHashMap<>();

    Snapshot get(String name) {
        return byName.get(name);
    }

    Snapshot add(String name, long inode, long timeNanos, int ownerUid) {
        Snapshot s = new Snapshot(name, inode, timeNanos, ownerUid);
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

    /** Names of the snapshots that hold the disk whose id is {@code diskId}, whatever its name then or now, oldest first. */
    List<String> namesHolding(long diskId) {
        List<String> names = new ArrayList<>();
        for (Snapshot s : byName.values()) {
            if (s.nameOf(diskId) != null) {
                names.add(s.name);
            }
        }
        return names;
    }

    /** Every snapshot file, for closing them all at unmount. */
    List<DiskFile> allFiles() {
        List<DiskFile> all = new ArrayList<>();
        for (Snapshot s : byName.values()) {
            all.addAll(s.files());
        }
        return all;
    }
}

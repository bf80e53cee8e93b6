package io.ramdiskfs.fs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.NamespaceEvents;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots, rollback and clones: what changes a disk's chain rather than its bytes. Every act
 * holds the {@link DirectoryLock} from its checks to its change, so a group snapshot is of one
 * instant and a rollback finds the disks it checked. Snapshots are kept by disk identity
 * ({@link SnapshotTable}): a disk rolls back only to its own.
 */
final class Snapshots {
    private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

    private final DirectoryLock lock;
    private final Namespace namespace;
    private final PermissionPolicy policy;
    private final LongSupplier clock;

    Snapshots(DirectoryLock lock, Namespace namespace, PermissionPolicy policy, LongSupplier clock) {
        this.lock = lock;
        this.namespace = namespace;
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * {@code mkdir /.snap/NAME}: snapshots every disk at one instant (all or none). A mount without
     * disks gets an empty snapshot.
     */
    void snapshotAll(String name) throws FsException, DiskException {
        synchronized (lock) {
            policy.checkWritableMount("take snapshot " + name);
            Namespace.snapshotName(name);
            SnapshotTable snapshots = namespace.snapshotTable();
            if (snapshots.get(name) != null) {
                throw new FsException(Errno.EEXIST, "snapshot " + name + " exists");
            }
            Map<String, DiskFile> files = namespace.files();
            List<String> names = namespace.names();
            List<LayeredDisk> disks = new ArrayList<>();
            for (String n : names) {
                PermissionPolicy.checkNotPassthrough(files.get(n), n, "snapshot");
                disks.add(files.get(n).disk());
            }
            List<LayeredDisk> taken = LayeredDisk.snapshotAll(disks);
            long now = clock.getAsLong();
            SnapshotTable.Snapshot s = snapshots.add(name, namespace.newInode(), now, policy.owner().uid());
            for (int i = 0; i < names.size(); i++) {
                DiskFile of = files.get(names.get(i));
                s.put(names.get(i), of.id(), snapshotFileOf(of, taken.get(i), now));
            }
            log.debug("snapshot {} of {} disks", name, names.size());
        }
    }

    private DiskFile snapshotFileOf(DiskFile of, LayeredDisk snapshot, long now) {
        return namespace.newFile(of.name(), snapshot, of.mode() & ~0222, of.uid(), of.gid(), now);
    }

    /**
     * {@code setfattr -n user.ramdiskfs.snapshot -v NAME DISK} by user {@code uid}: one disk into
     * snapshot NAME, made if it does not exist (then {@code uid} owns it); see
     * {@link PermissionPolicy#checkMayAddToSnapshot} for adding to someone else's.
     */
    void snapshotDisk(String path, String name, int uid) throws FsException, DiskException {
        synchronized (lock) {
            policy.checkWritableMount("take snapshot " + name);
            Namespace.snapshotName(name);
            FsPath p = FsPath.parse(path);
            if (p.kind() != FsPath.Kind.DISK) {
                throw new FsException(Errno.EINVAL, "only a disk can be snapshotted alone, not " + path);
            }
            DiskFile f = namespace.lookup(path);
            if (f.isUnlinked()) { // found by libfuse's hidden name: removed, open still (fsetxattr)
                throw new FsException(Errno.ENOENT, "disk " + path + " has been removed");
            }
            SnapshotTable snapshots = namespace.snapshotTable();
            SnapshotTable.Snapshot s = snapshots.get(name);
            if (s != null) {
                policy.checkMayAddToSnapshot(uid, s, p.disk());
                String held = s.nameOf(f.id());
                if (held != null) {
                    throw new FsException(Errno.EEXIST, "snapshot " + name + " holds disk " + p.disk() + " already"
                            + (held.equals(p.disk()) ? "" : " (as " + held + ", its name then)"));
                }
                if (s.file(p.disk()) != null) {
                    throw new FsException(Errno.EEXIST, "snapshot " + name + " holds another disk named " + p.disk()
                            + " (removed or renamed since); take a snapshot of another name");
                }
            }
            PermissionPolicy.checkNotPassthrough(f, p.disk(), "snapshot");
            LayeredDisk taken = f.disk().snapshot();
            long now = clock.getAsLong();
            if (s == null) {
                s = snapshots.add(name, namespace.newInode(), now, uid);
            }
            s.put(p.disk(), f.id(), snapshotFileOf(f, taken, now));
        }
    }

    /** {@code rmdir /.snap/NAME}: deletes the snapshot of every disk it holds. */
    void deleteSnapshot(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() != FsPath.Kind.SNAPSHOT) {
            throw DiskDirectory.notADiskOperation("rmdir", path);
        }
        List<DiskFile> closeNow = new ArrayList<>();
        synchronized (lock) {
            policy.checkWritableMount("delete snapshot " + path);
            SnapshotTable.Snapshot s = namespace.snapshotTable().remove(p.snapshot());
            if (s == null) {
                throw new FsException(Errno.ENOENT, "no snapshot " + path);
            }
            for (DiskFile f : s.files()) {
                if (f.unlink()) {
                    closeNow.add(f);
                }
            }
        }
        for (DiskFile f : closeNow) {
            f.disk().close();
        }
    }

    /** {@code rm /.snap/NAME/DISK}: one disk out of a snapshot. */
    void deleteSnapshotDisk(FsPath p, String path) throws FsException {
        DiskFile closeNow = null;
        synchronized (lock) {
            policy.checkWritableMount("delete snapshot " + path);
            SnapshotTable.Snapshot s = namespace.snapshotTable().get(p.snapshot());
            DiskFile f = s == null ? null : s.remove(p.disk());
            if (f == null) {
                throw new FsException(Errno.ENOENT, "no snapshot " + path);
            }
            if (f.unlink()) {
                closeNow = f;
            }
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    /**
     * {@code setfattr -n user.ramdiskfs.rollback -v NAME}: on a disk, that disk; on the root, every
     * disk snapshot NAME holds, all or none. EBUSY while a disk is open for writing (after waiting
     * {@link DirectoryLock#RELEASE_GRACE_MILLIS} for releases in flight).
     */
    void rollback(String path, String name) throws FsException, DiskException {
        NamespaceEvents events = namespace.events();
        try {
            synchronized (lock) {
                policy.checkWritableMount("roll back to " + name);
                FsPath p = FsPath.parse(path);
                SnapshotTable snapshots = namespace.snapshotTable();
                if (snapshots.get(name) == null) {
                    throw new FsException(Errno.ENOENT, "no snapshot " + name);
                }
                if (p.kind() != FsPath.Kind.ROOT && p.kind() != FsPath.Kind.DISK) {
                    throw new FsException(Errno.EINVAL, "only a disk or the mount can be rolled back, not " + path);
                }
                long deadline = lock.releaseDeadline();
                List<RollbackTarget> targets;
                while (true) {
                    SnapshotTable.Snapshot s = snapshots.get(name);
                    if (s == null) {
                        throw new FsException(Errno.ENOENT, "no snapshot " + name + ": it was deleted while the rollback waited");
                    }
                    targets = rollbackTargets(s, p);
                    DiskFile busy = null;
                    for (RollbackTarget t : targets) {
                        if (t.file().writers() > 0) {
                            busy = t.file();
                            break;
                        }
                    }
                    if (busy == null) {
                        break;
                    }
                    if (!lock.awaitNoWriters(busy, deadline)) {
                        throw new FsException(Errno.EBUSY, "disk " + busy.name() + " is open for writing (" + busy.writers()
                                + " handles: a VM or a loop device?); stop the writer first");
                    }
                    // The wait gave up the lock: a disk checked before it may have been opened
                    // for writing, renamed or removed since, the snapshot deleted. Everything is
                    // checked again, and the rollback happens only after a pass that did not wait
                    // (issue #20 item 3).
                }
                List<LayeredDisk> disks = new ArrayList<>();
                List<LayeredDisk> points = new ArrayList<>();
                List<DiskFile> changed = new ArrayList<>();
                for (RollbackTarget t : targets) {
                    disks.add(t.file().disk());
                    points.add(t.point().disk());
                    changed.add(t.file());
                }
                List<Long> sizes = new ArrayList<>();
                for (DiskFile f : changed) {
                    sizes.add(f.size());
                }
                LayeredDisk.rollbackAll(disks, points);
                long now = clock.getAsLong();
                for (int i = 0; i < changed.size(); i++) {
                    DiskFile f = changed.get(i);
                    f.touchContent(now);
                    if (f.size() != sizes.get(i)) {
                        events.resized(f);
                    }
                }
            }
        } finally {
            events.deliver();
        }
    }

    /** A disk to roll back and the snapshot file it goes back to. */
    private record RollbackTarget(DiskFile file, DiskFile point) {}

    /**
     * What rolling back {@code p} to {@code s} changes, checked (all but the writers) under the
     * lock. Each disk goes back to its own snapshot, found by identity: a disk renamed since
     * goes back under its new name, a disk that only shares a name with the one taken is refused.
     */
    private List<RollbackTarget> rollbackTargets(SnapshotTable.Snapshot s, FsPath p) throws FsException {
        Map<String, DiskFile> files = namespace.files();
        Map<Long, DiskFile> byId = new HashMap<>();
        for (DiskFile f : files.values()) {
            byId.put(f.id(), f);
        }
        List<RollbackTarget> targets = new ArrayList<>();
        if (p.kind() == FsPath.Kind.ROOT) {
            for (var e : s.entries().entrySet()) {
                DiskFile f = byId.get(e.getValue().diskId());
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "snapshot " + s.name + " holds disk " + e.getKey() + ", which has been removed"
                            + (files.containsKey(e.getKey()) ? " (the disk of that name now is another one)" : "")
                            + "; delete .snap/" + s.name + "/" + e.getKey() + " to roll back the others");
                }
                targets.add(target(f, e.getValue().file()));
            }
            return targets;
        }
        DiskFile f = files.get(p.disk());
        if (f == null) {
            throw new FsException(Errno.ENOENT, "no disk " + p.disk());
        }
        String taken = s.nameOf(f.id());
        if (taken == null) {
            throw new FsException(Errno.ENOENT, "snapshot " + s.name + " does not hold disk " + p.disk() + (s.file(p.disk()) == null ? ""
                    : ": the " + p.disk() + " it holds is another disk, removed or renamed since; a disk rolls back only to its own snapshots"));
        }
        targets.add(target(f, s.file(taken)));
        return targets;
    }

    private static RollbackTarget target(DiskFile f, DiskFile point) throws FsException {
        PermissionPolicy.checkNotPassthrough(f, f.name(), "roll back");
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "disk " + f.name() + " is read-only");
        }
        return new RollbackTarget(f, point);
    }

    /** A new disk {@code name}, a clone of the disk or snapshot at {@code path}: it shares the data. */
    void cloneTo(String path, String name, int uid, int gid) throws FsException, DiskException {
        try {
            synchronized (lock) {
                policy.checkWritableMount("clone " + path + " to " + name);
                String dst = Namespace.newName("/" + name);
                DiskFile src = namespace.lookup(path);
                if (namespace.files().containsKey(dst)) {
                    throw new FsException(Errno.EEXIST, "disk " + dst + " exists");
                }
                PermissionPolicy.checkNotPassthrough(src, path, "clone");
                LayeredDisk clone = src.disk().cloneDisk();
                namespace.put(namespace.newFile(dst, clone, src.mode() | 0200, uid, gid, clock.getAsLong()));
            }
        } finally {
            namespace.events().deliver();
        }
    }

    /** The snapshots that hold the disk at {@code path}, oldest first, space-separated. */
    String snapshotsOf(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() != FsPath.Kind.DISK) {
            return "";
        }
        synchronized (lock) {
            DiskFile f = namespace.files().get(p.disk());
            return f == null ? "" : String.join(" ", namespace.snapshotTable().namesHolding(f.id()));
        }
    }

    /** The snapshots that hold {@code f}, oldest first. */
    List<String> holding(DiskFile f) {
        synchronized (lock) {
            return namespace.snapshotTable().namesHolding(f.id());
        }
    }

    /** Snapshot names, oldest first. */
    List<String> names() {
        synchronized (lock) {
            return namespace.snapshotTable().names();
        }
    }
}

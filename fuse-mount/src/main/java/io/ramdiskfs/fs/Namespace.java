package io.ramdiskfs.fs;

import io.ramdiskfs.DiskNames;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.NamespaceEvents;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the mount shows by name: the disks of the root, the disks removed while open (by the name
 * libfuse2 hid them under), the snapshot table, and the inode numbers that identify them. Create,
 * unlink, rename, chmod, chown and utimens change it; lookups read it without the lock (the disk
 * map is concurrent), changes take the {@link DirectoryLock}, queue the change for the doors'
 * watchers under it and tell them after it.
 */
final class Namespace {
    private static final Logger log = LoggerFactory.getLogger(Namespace.class);
    /**
     * How libfuse2 names a file removed while open: it renames it to {@code .fuse_hiddenNNNN}
     * instead of sending the unlink, and unlinks that name after the last release.
     */
    static final String HIDDEN_PREFIX = ".fuse_hidden";
    private static final long SNAPSHOTS_INODE = 2;

    private final DiskDirectory directory;
    private final DirectoryLock lock;
    private final PermissionPolicy policy;
    private final DiskFactory factory;
    private final LongSupplier clock;
    /** Read without the lock; written under it. */
    private final ConcurrentHashMap<String, DiskFile> files = new ConcurrentHashMap<>();
    /**
     * Disks removed while open, by the name libfuse2 hid them under: out of the namespace (not
     * listed, counted, served by doors nor snapshotted) but found by that name, which libfuse uses
     * for the open handles' getattr, chmod and, at the end, unlink. Guarded by the lock.
     */
    private final Map<String, DiskFile> hidden = new HashMap<>();
    /** Guarded by the lock. */
    private final SnapshotTable snapshots = new SnapshotTable();
    /** Changes for the doors' watchers: queued under the lock, told after it. */
    private final NamespaceEvents events;
    /** Guarded by the lock. */
    private long nextInode = 3;

    Namespace(DiskDirectory directory, DirectoryLock lock, PermissionPolicy policy, DiskFactory factory, LongSupplier clock) {
        this.directory = directory;
        this.lock = lock;
        this.policy = policy;
        this.factory = factory;
        this.clock = clock;
        this.events = new NamespaceEvents(directory);
    }

    NamespaceEvents events() {
        return events;
    }

    /** The snapshot table; read and changed under the lock. */
    SnapshotTable snapshotTable() {
        return snapshots;
    }

    /** The disks of the root by name, for whoever must walk them (a read without the lock is a moment's view). */
    Map<String, DiskFile> files() {
        return files;
    }

    /** A new inode number; the caller holds the lock. */
    long newInode() {
        return nextInode++;
    }

    /** A new file over {@code disk}, with a fresh inode number; the caller holds the lock. */
    DiskFile newFile(String name, LayeredDisk disk, int mode, int uid, int gid, long nowNanos) {
        return new DiskFile(directory, name, newInode(), disk, mode, uid, gid, nowNanos);
    }

    /** Puts a new disk in the root under {@code name}; the caller holds the lock and checked the name is free. */
    void put(DiskFile f) {
        files.put(f.name(), f);
        events.created(f);
    }

    DiskFile add(String name, LayeredDisk disk, int uid, int gid) {
        DiskFile f;
        synchronized (lock) {
            DiskNames.check(name);
            f = newFile(name, disk, disk.isReadOnly() ? 0444 : 0644, uid, gid, clock.getAsLong());
            if (files.putIfAbsent(name, f) != null) {
                throw new IllegalArgumentException("disk name '" + name + "' is given twice");
            }
            events.created(f);
        }
        events.deliver();
        return f;
    }

    List<ServedDisk> disks() {
        return new ArrayList<>(files.values());
    }

    Optional<ServedDisk> find(String name) {
        return Optional.ofNullable(files.get(name));
    }

    AutoCloseable watch(NamespaceWatcher watcher) {
        AutoCloseable w;
        synchronized (lock) {
            w = events.watch(watcher, new ArrayList<>(files.values()));
        }
        events.deliver();
        return w;
    }

    List<String> names() {
        return new ArrayList<>(files.keySet());
    }

    DiskFile lookup(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        switch (p.kind()) {
            case DISK -> {
                DiskFile f = files.get(p.disk());
                if (f == null && p.disk().startsWith(HIDDEN_PREFIX)) {
                    f = hiddenFile(p.disk());
                }
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "no disk " + path);
                }
                return f;
            }
            case SNAPSHOT_DISK -> {
                return snapshotFile(p, path);
            }
            default -> throw new FsException(Errno.EISDIR, path + " is a directory");
        }
    }

    private DiskFile hiddenFile(String name) {
        synchronized (lock) {
            return hidden.get(name);
        }
    }

    private DiskFile snapshotFile(FsPath p, String path) throws FsException {
        synchronized (lock) {
            SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
            DiskFile f = s == null ? null : s.file(p.disk());
            if (f == null) {
                throw new FsException(Errno.ENOENT, "no snapshot " + path);
            }
            return f;
        }
    }

    DiskDirectory.DirectoryInfo directory(String path, long rootTimeNanos) throws FsException {
        FsPath p = FsPath.parse(path);
        int rw = policy.readOnly() ? 0555 : 0755;
        return switch (p.kind()) {
            case ROOT -> new DiskDirectory.DirectoryInfo(1, rootTimeNanos, rw);
            case SNAPSHOTS -> new DiskDirectory.DirectoryInfo(SNAPSHOTS_INODE, rootTimeNanos, rw);
            case SNAPSHOT -> {
                synchronized (lock) {
                    SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
                    if (s == null) {
                        throw new FsException(Errno.ENOENT, "no snapshot " + path);
                    }
                    yield new DiskDirectory.DirectoryInfo(s.inode, s.timeNanos, rw);
                }
            }
            default -> null;
        };
    }

    List<String> list(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        synchronized (lock) {
            switch (p.kind()) {
                case ROOT -> {
                    return names();
                }
                case SNAPSHOTS -> {
                    return snapshots.names();
                }
                case SNAPSHOT -> {
                    SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
                    if (s == null) {
                        throw new FsException(Errno.ENOENT, "no snapshot " + path);
                    }
                    return s.names();
                }
                default -> {
                    lookup(path);
                    throw new FsException(Errno.ENOTDIR, path + " is a disk, not a directory");
                }
            }
        }
    }

    /** The name in {@code "/NAME"}; ENOENT for anything deeper, EISDIR for the root. */
    static String nameOf(String path) throws FsException {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw new FsException(Errno.ENOENT, "path '" + path + "' is not absolute");
        }
        if (path.length() == 1) {
            throw new FsException(Errno.EISDIR, "/ is the directory of disks");
        }
        String name = path.substring(1);
        if (name.indexOf('/') >= 0) {
            throw new FsException(Errno.ENOENT, "no disk " + path + ": there are no subdirectories");
        }
        return name;
    }

    /** The name in {@code "/NAME"}, checked as a name a new disk may take. */
    static String newName(String path) throws FsException {
        String name = nameOf(path);
        String problem = DiskNames.problem(name);
        if (problem != null) {
            Errno e = name.getBytes(StandardCharsets.UTF_8).length > DiskNames.MAX_BYTES ? Errno.ENAMETOOLONG : Errno.EINVAL;
            throw new FsException(e, problem);
        }
        return name;
    }

    /** {@code name} checked as a snapshot name: the rules of disk names. */
    static String snapshotName(String name) throws FsException {
        String problem = DiskNames.problem(name);
        if (problem != null) {
            Errno e = name != null && name.getBytes(StandardCharsets.UTF_8).length > DiskNames.MAX_BYTES ? Errno.ENAMETOOLONG : Errno.EINVAL;
            throw new FsException(e, problem.replace("disk name", "snapshot name"));
        }
        return name;
    }

    /** The disk at {@code path}, made empty when there is none; the caller holds the lock. */
    DiskFile createIfAbsent(String path, int mode, int uid, int gid) throws FsException {
        String name = newName(path);
        DiskFile f = files.get(name);
        if (f == null) {
            policy.checkWritableMount("create " + path);
            f = newFile(name, factory.emptyDisk(), mode, uid, gid, clock.getAsLong());
            put(f);
            log.debug("created disk {}", name);
        }
        return f;
    }

    /** Removes the disk at {@code "/NAME"}; the disk to close now (no handle is open), or null. */
    DiskFile unlink(String path) throws FsException {
        try {
            synchronized (lock) {
                policy.checkWritableMount("unlink " + path);
                String name = nameOf(path);
                DiskFile f = files.remove(name);
                if (f == null && hidden.remove(name) != null) {
                    return null; // removed when it was hidden; the last release frees it
                }
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "no disk " + path);
                }
                DiskFile closeNow = f.unlink() ? f : null;
                events.removed(f, name);
                return closeNow;
            }
        } finally {
            events.deliver();
        }
    }

    /** Renames a disk, replacing any disk already at {@code to}; the disk to close now, or null. */
    DiskFile rename(String from, String to) throws FsException {
        try {
            synchronized (lock) {
                policy.checkWritableMount("rename " + from);
                String a = nameOf(from);
                String b = newName(to);
                DiskFile f = files.get(a);
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "no disk " + from);
                }
                if (a.equals(b)) {
                    return null;
                }
                if (b.startsWith(HIDDEN_PREFIX)) {
                    return hide(f, a, b);
                }
                DiskFile closeNow = null;
                DiskFile replaced = files.put(b, f);
                files.remove(a);
                f.rename(b);
                if (replaced != null) {
                    if (replaced.unlink()) {
                        closeNow = replaced;
                    }
                    events.removed(replaced, b);
                }
                events.renamed(f, a);
                return closeNow;
            }
        } finally {
            events.deliver();
        }
    }

    /**
     * libfuse2's {@code rm} (or {@code mv} over) of an open disk: the disk leaves the namespace
     * now, as an unlink would; the handles keep it until the last release (issue #20 item 10:
     * before, {@code .fuse_hiddenNNNN} was a disk, listed, counted, captured by a group snapshot
     * whose rollback then failed for good once libfuse deleted it). Returns the disk to close
     * now when no handle is open (a plain {@code mv} to such a name: the disk goes, as by rm).
     */
    private DiskFile hide(DiskFile f, String name, String hiddenName) {
        files.remove(name);
        boolean closeNow = f.unlink();
        if (!closeNow) {
            hidden.put(hiddenName, f);
        }
        events.removed(f, name);
        log.debug("disk {} removed while open, hidden as {} until its last close", name, hiddenName);
        return closeNow ? f : null;
    }

    /** The last handle of {@code f} went: libfuse unlinks its hidden name next, nothing is left to find by it. The caller holds the lock. */
    void forgetHidden(DiskFile f) {
        hidden.values().remove(f);
    }

    void chmod(String path, int mode) throws FsException {
        policy.checkWritableMount("chmod " + path);
        policy.checkNotSnapshot(path);
        DiskFile f = lookup(path);
        f.setMode(mode, clock.getAsLong());
        attributesChanged(f);
    }

    void chown(String path, int uid, int gid) throws FsException {
        policy.checkWritableMount("chown " + path);
        policy.checkNotSnapshot(path);
        DiskFile f = lookup(path);
        f.setOwner(uid, gid, clock.getAsLong());
        attributesChanged(f);
    }

    void utimens(String path, long atimeNanos, long mtimeNanos) throws FsException {
        policy.checkWritableMount("utimens " + path);
        policy.checkNotSnapshot(path);
        DiskFile f = lookup(path);
        long now = clock.getAsLong();
        long a = atimeNanos == DiskDirectory.UTIME_NOW ? now : atimeNanos == DiskDirectory.UTIME_OMIT ? f.atimeNanos() : atimeNanos;
        long m = mtimeNanos == DiskDirectory.UTIME_NOW ? now : mtimeNanos == DiskDirectory.UTIME_OMIT ? f.mtimeNanos() : mtimeNanos;
        f.setTimes(a, m, now);
    }

    /** Tells the watchers that {@code f}'s size changed, if it is still in the namespace. */
    void resized(DiskFile f) {
        synchronized (lock) {
            if (files.get(f.name()) == f) {
                events.resized(f);
            }
        }
        events.deliver();
    }

    /** Tells the watchers that {@code f}'s mode or owner changed. */
    void attributesChanged(DiskFile f) {
        synchronized (lock) {
            if (files.get(f.name()) == f) {
                events.attributesChanged(f);
            }
        }
        events.deliver();
    }

    /**
     * Empties the namespace at unmount, adding every disk it held (snapshots included) to
     * {@code all}; the caller holds the lock and delivers the events after it.
     */
    void clear(Set<LayeredDisk> all) {
        for (DiskFile f : snapshots.allFiles()) {
            all.add(f.disk());
        }
        for (String name : snapshots.names()) {
            snapshots.remove(name);
        }
        for (var e : files.entrySet()) {
            all.add(e.getValue().disk());
            events.removed(e.getValue(), e.getKey());
        }
        files.clear();
        hidden.clear();
    }
}

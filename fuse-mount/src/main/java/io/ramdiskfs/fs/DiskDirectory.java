package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import io.ramdiskfs.DiskNames;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.disks.NamespaceEvents;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.stats.OpCounter;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filesystem in plain Java: a flat directory in which every regular file is a disk. The FUSE
 * adapter only converts pointers and structures and calls this; tests call it without a mount.
 *
 * <p>Paths are {@code "/"} or {@code "/NAME"}. Byte I/O goes through the disk's
 * {@link io.ramdiskfs.disk.DiskBytes} view, by handle, with no allocation. Namespace changes
 * (create, unlink, rename) take this object's monitor; lookups and I/O do not.
 *
 * <p>As the {@link DiskNamespace} of the mount it is what every door sees: a change is queued for
 * the watchers under the monitor and told to them after it ({@link NamespaceEvents}).
 */
public final class DiskDirectory implements DiskNamespace {
    private static final Logger log = LoggerFactory.getLogger(DiskDirectory.class);
    /** {@code utimens} values that mean "now" and "leave alone". */
    public static final long UTIME_NOW = Long.MIN_VALUE + 1;
    public static final long UTIME_OMIT = Long.MIN_VALUE;
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    /** Every attribute this filesystem has starts with this. */
    public static final String XATTR_PREFIX = "user.ramdiskfs.";
    static final String XATTR_LAYERS = "user.ramdiskfs.layers";
    static final String XATTR_COMMITTED = "user.ramdiskfs.committed_bytes";
    static final String XATTR_SECTOR_SIZE = "user.ramdiskfs.sector_size";
    /** Read: the snapshots that hold the disk, oldest first, space-separated. */
    static final String XATTR_SNAPSHOTS = "user.ramdiskfs.snapshots";
    /** Written on a disk or the root: take a snapshot of that name. */
    public static final String XATTR_SNAPSHOT = "user.ramdiskfs.snapshot";
    /** Written on a disk or the root: roll back to the snapshot of that name. */
    public static final String XATTR_ROLLBACK = "user.ramdiskfs.rollback";
    /** Written on a disk or snapshot file: make a disk of that name, a clone of it. */
    public static final String XATTR_CLONE = "user.ramdiskfs.clone";
    /** Written on a disk: save it to the image at that absolute path (empty: its persist image); see {@link ImageJobs}. */
    public static final String XATTR_SAVE = "user.ramdiskfs.save";
    /** How far the last save of a disk got. */
    public static final String XATTR_SAVE_STATUS = "user.ramdiskfs.save_status";
    /** Written on a memdiff disk (any value): commit its RAM layers into its base image. */
    public static final String XATTR_COMMIT = "user.ramdiskfs.commit";
    private static final List<String> XATTRS = List.of(XATTR_LAYERS, XATTR_COMMITTED, XATTR_SECTOR_SIZE, XATTR_SNAPSHOTS);
    private static final List<String> SNAPSHOT_XATTRS = List.of(XATTR_LAYERS, XATTR_COMMITTED, XATTR_SECTOR_SIZE);
    /** On the root: the whole mount as JSON ({@link io.ramdiskfs.status.StatusJson}), for {@code ramdiskfs status}. */
    public static final String XATTR_STATUS = "user.ramdiskfs.status";

    private final ConcurrentHashMap<String, DiskFile> files = new ConcurrentHashMap<>();
    /**
     * How libfuse2 names a file removed while open: it renames it to {@code .fuse_hiddenNNNN}
     * instead of sending the unlink, and unlinks that name after the last release.
     */
    static final String HIDDEN_PREFIX = ".fuse_hidden";
    /**
     * Disks removed while open, by the name libfuse2 hid them under: out of the namespace (not
     * listed, counted, served by doors nor snapshotted) but found by that name, which libfuse uses
     * for the open handles' getattr, chmod and, at the end, unlink. Guarded by this object's monitor.
     */
    private final Map<String, DiskFile> hidden = new HashMap<>();
    private final HandleTable handles = new HandleTable();
    /** Handles open for writing; guarded by this object's monitor. */
    private final java.util.Set<Long> writingHandles = new java.util.HashSet<>();
    /** Guarded by this object's monitor. */
    private final SnapshotTable snapshots = new SnapshotTable();
    /** Handles open in passthrough mode ({@link #markPassthrough}). */
    private final java.util.Set<Long> passthroughHandles = ConcurrentHashMap.newKeySet();
    private final ImageJobs images = new ImageJobs(this);
    /** Changes for the doors' watchers: queued under this object's monitor, told after it. */
    private final NamespaceEvents events = new NamespaceEvents(this);
    /** Doors' holds not yet closed ({@link #hold}); guarded by this object's monitor. */
    private final java.util.Set<Hold> holds = new java.util.HashSet<>();
    private final DiskFactory factory;
    private final MemoryBudget budget;
    private final boolean readOnly;
    private final LongSupplier clock;
    /** Owns the root, {@code .snap} and its snapshots. */
    private final DaemonUser owner;
    private long nextInode = 3;
    private static final long SNAPSHOTS_INODE = 2;
    private final long madeAtMillis = System.currentTimeMillis();

    /**
     * @param factory  makes the disk of a created file
     * @param budget   the memory budget every disk draws from, shown by {@code df}
     * @param readOnly the whole mount is read-only: no create, unlink, rename or attribute change
     * @param clock    the time in nanoseconds since the epoch
     */
    public DiskDirectory(DiskFactory factory, MemoryBudget budget, boolean readOnly, LongSupplier clock) {
        this(factory, budget, readOnly, clock, DaemonUser.ofThisProcess());
    }

    /** @param owner owns the root, {@code .snap} and its snapshots: the user the daemon runs as */
    public DiskDirectory(DiskFactory factory, MemoryBudget budget, boolean readOnly, LongSupplier clock, DaemonUser owner) {
        this.factory = factory;
        this.budget = budget;
        this.readOnly = readOnly;
        this.clock = clock;
        this.owner = owner;
    }

    /** The owner of the root, {@code .snap} and every snapshot directory. */
    public DaemonUser owner() {
        return owner;
    }

    /**
     * The wall clock in nanoseconds, at millisecond resolution: every write stamps the mtime, and
     * this costs no allocation where {@code Instant.now()} would.
     */
    public static long wallClockNanos() {
        return System.currentTimeMillis() * 1_000_000L;
    }

    /** Saves and commits (SPEC section 7). */
    public ImageJobs images() {
        return images;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public MemoryBudget budget() {
        return budget;
    }

    /**
     * Data memory held by every disk, what {@code df} shows as used: the RAM layers' budget, plus
     * the files of passthrough disks ({@link BackingFile}), which hold their memory outside it
     * (an unlinked disk still open counts until its last handle closes).
     */
    public long memoryUsed() {
        long used = budget.used();
        java.util.Set<BackingFile> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<DiskFile> all = new ArrayList<>(files.values());
        all.addAll(handles.openFiles());
        synchronized (this) {
            for (Hold h : holds) {
                all.add(h.file);
            }
        }
        for (DiskFile f : all) {
            BackingFile b = f.backing();
            if (b != null && seen.add(b)) {
                used += f.disk().committedBytes();
            }
        }
        return used;
    }

    /** Adds a disk made at mount time. */
    public DiskFile add(String name, LayeredDisk disk, int uid, int gid) {
        DiskFile f;
        synchronized (this) {
            DiskNames.check(name);
            f = new DiskFile(this, name, nextInode++, disk, disk.isReadOnly() ? 0444 : 0644, uid, gid, clock.getAsLong());
            if (files.putIfAbsent(name, f) != null) {
                throw new IllegalArgumentException("disk name '" + name + "' is given twice");
            }
            events.created(f);
        }
        events.deliver();
        return f;
    }

    // ------------------------------------------------------------------ the doors' namespace

    @Override
    public List<ServedDisk> disks() {
        return new ArrayList<>(files.values());
    }

    @Override
    public Optional<ServedDisk> find(String name) {
        return Optional.ofNullable(files.get(name));
    }

    @Override
    public AutoCloseable watch(NamespaceWatcher watcher) {
        AutoCloseable w;
        synchronized (this) {
            w = events.watch(watcher, new ArrayList<>(files.values()));
        }
        events.deliver();
        return w;
    }

    /** A door's hold on a disk: an open handle without a handle number. */
    private final class Hold implements DiskHold {
        final DiskFile file;
        final String holder;
        final boolean writing;
        private final AtomicBoolean closed = new AtomicBoolean();

        Hold(DiskFile file, String holder, boolean writing) {
            this.file = file;
            this.holder = holder;
            this.writing = writing;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                releaseHold(this);
            }
        }

        @Override
        public String toString() {
            return holder + (writing ? " writing " : " reading ") + file;
        }
    }

    /** {@link ServedDisk#hold}: counts as a handle open on {@code f}, for writing if {@code writing}. */
    DiskHold hold(DiskFile f, String holder, boolean writing) throws FsException {
        synchronized (this) {
            if (f.isUnlinked()) {
                throw new FsException(Errno.ENOENT, "disk " + f.name() + " has been removed; " + holder + " cannot hold it");
            }
            if (writing && f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, "disk " + f.name() + " is read-only; " + holder + " cannot hold it for writing");
            }
            f.opened(writing);
            Hold h = new Hold(f, holder, writing);
            holds.add(h);
            log.debug("{} holds {}", holder, f);
            return h;
        }
    }

    private void releaseHold(Hold h) {
        boolean closeNow;
        synchronized (this) {
            if (!holds.remove(h)) {
                return; // closeAll came first
            }
            closeNow = h.file.released(h.writing);
            if (closeNow) {
                hidden.values().remove(h.file);
            }
            notifyAll(); // a rollback or commit may wait for this release (awaitNoWriters)
        }
        if (closeNow) {
            h.file.disk().close();
        }
    }

    /** The names of the disks, in no particular order. */
    public List<String> names() {
        return new ArrayList<>(files.keySet());
    }

    /** True for the root directory's path. */
    public static boolean isRoot(String path) {
        return "/".equals(path);
    }

    /** The disk, or the snapshot of a disk ({@code /.snap/NAME/DISK}), at {@code path}. */
    public DiskFile lookup(String path) throws FsException {
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

    private synchronized DiskFile hiddenFile(String name) {
        return hidden.get(name);
    }

    private synchronized DiskFile snapshotFile(FsPath p, String path) throws FsException {
        SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
        DiskFile f = s == null ? null : s.file(p.disk());
        if (f == null) {
            throw new FsException(Errno.ENOENT, "no snapshot " + path);
        }
        return f;
    }

    /** A directory's attributes. */
    public record DirectoryInfo(long inode, long timeNanos, int mode) {}

    /**
     * The directory at {@code path} (the root, {@code /.snap}, a snapshot), or null when the path
     * names a file; ENOENT when it names nothing.
     */
    public DirectoryInfo directory(String path, long rootTimeNanos) throws FsException {
        FsPath p = FsPath.parse(path);
        int rw = readOnly ? 0555 : 0755;
        return switch (p.kind()) {
            case ROOT -> new DirectoryInfo(1, rootTimeNanos, rw);
            case SNAPSHOTS -> new DirectoryInfo(SNAPSHOTS_INODE, rootTimeNanos, rw);
            case SNAPSHOT -> {
                synchronized (this) {
                    SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
                    if (s == null) {
                        throw new FsException(Errno.ENOENT, "no snapshot " + path);
                    }
                    yield new DirectoryInfo(s.inode, s.timeNanos, rw);
                }
            }
            default -> null;
        };
    }

    /** The names in a directory: disks in the root (the snapshot directory is not listed), snapshots, a snapshot's disks. */
    public List<String> list(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        synchronized (this) {
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
    private static String nameOf(String path) throws FsException {
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

    private static String newName(String path) throws FsException {
        String name = nameOf(path);
        String problem = DiskNames.problem(name);
        if (problem != null) {
            Errno e = name.getBytes(StandardCharsets.UTF_8).length > DiskNames.MAX_BYTES ? Errno.ENAMETOOLONG : Errno.EINVAL;
            throw new FsException(e, problem);
        }
        return name;
    }

    // ------------------------------------------------------------------ handles

    /** Opens a disk; writing opens of a read-only disk fail with EROFS. */
    public long open(String path, int flags) throws FsException {
        synchronized (this) {
            DiskFile f = lookup(path);
            boolean writing = (flags & O_ACCMODE) != O_RDONLY;
            if (writing && f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, path + (FsPath.parse(path).inSnapshots() ? " is a snapshot" : " is a read-only disk"));
            }
            f.opened(writing);
            long fh = handles.add(f);
            if (writing) {
                writingHandles.add(fh);
            }
            return fh;
        }
    }

    /** Creates an empty disk (or opens the existing one) and returns a handle. */
    public long create(String path, int mode, int uid, int gid) throws FsException {
        try {
            synchronized (this) {
                String name = newName(path);
                DiskFile f = files.get(name);
                if (f == null) {
                    if (readOnly) {
                        throw new FsException(Errno.EROFS, "the mount is read-only: cannot create " + path);
                    }
                    f = new DiskFile(this, name, nextInode++, factory.emptyDisk(), mode, uid, gid, clock.getAsLong());
                    files.put(name, f);
                    events.created(f);
                    log.debug("created disk {}", name);
                }
                f.opened(true);
                long fh = handles.add(f);
                writingHandles.add(fh);
                return fh;
            }
        } finally {
            events.deliver();
        }
    }

    /** The file of an open handle. */
    public DiskFile file(long fh) throws FsException {
        DiskFile f = handles.get(fh);
        if (f == null) {
            throw new FsException(Errno.EBADF, "handle " + fh + " is not open");
        }
        return f;
    }

    /**
     * Records that the kernel serves handle {@code fh} by passthrough
     * ({@link DiskFile#isPassthroughOpen()}), until it is released.
     */
    public void markPassthrough(long fh) throws FsException {
        DiskFile f = file(fh);
        if (passthroughHandles.add(fh)) {
            f.passthroughOpened();
        }
    }

    /** Closes a handle; the last handle of an unlinked disk frees it. */
    public void release(long fh) {
        DiskFile closeNow = null;
        synchronized (this) {
            DiskFile f = handles.remove(fh);
            if (f != null && passthroughHandles.remove(fh)) {
                f.passthroughReleased();
            }
            if (f != null && f.released(writingHandles.remove(fh))) {
                closeNow = f;
                hidden.values().remove(f); // libfuse unlinks the hidden name next: nothing is left to find by it
            }
            notifyAll(); // a rollback or commit may wait for this release (awaitNoWriters)
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    // ------------------------------------------------------------------ data

    public int read(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
        DiskFile f = file(fh);
        long start = OpCounter.start();
        try {
            int n = f.disk().bytes().read(offset, base, address, size);
            f.io().reads().record(n, start);
            return n;
        } catch (DiskException | RuntimeException e) {
            f.io().reads().failed();
            throw e;
        }
    }

    /**
     * {@link #read} for a request {@link #readInPlace} has already counted (its runs did not fit
     * the reply): the same bytes, not counted twice.
     */
    public int readAgain(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
        return file(fh).disk().bytes().read(offset, base, address, size);
    }

    /**
     * Reads in place ({@link io.ramdiskfs.disk.DiskBytes#readInPlace}): the runs go to
     * {@code vector}, which passes them on while they are held.
     *
     * @return the bytes delivered, 0 at or past the end (nothing delivered), -1 when the disk
     *     cannot be read in place (nothing delivered; use {@link #read})
     */
    public int readInPlace(long fh, long offset, int size, ReadVector vector) throws FsException, DiskException {
        DiskFile f = file(fh);
        long start = OpCounter.start();
        try {
            int n = f.disk().bytes().readInPlace(offset, size, vector);
            if (n >= 0) { // -1: not read here; the read that follows counts it
                f.io().reads().record(n, start);
            }
            return n;
        } catch (DiskException | RuntimeException e) {
            f.io().reads().failed();
            throw e;
        }
    }

    /**
     * The image file that alone holds the bytes a read of {@code [offset, offset + size)} would
     * return (clamped to the disk's size): a memdiff disk whose RAM layer holds none of the
     * sectors involved. A raw image maps disk byte N to file byte N, so the caller may read the
     * file there instead. Null when any byte would come from elsewhere, or nothing is left to read.
     */
    public FileLayer imageUnder(long fh, long offset, int size) throws FsException {
        DiskFile f = file(fh);
        long start = OpCounter.start();
        LayeredDisk disk = f.disk();
        long end = Math.min(disk.sizeBytes(), offset + size);
        if (offset < 0 || offset >= end) {
            return null;
        }
        int ss = disk.sectorSize();
        long first = offset / ss;
        // A base replaced by a commit is still read through this layer's descriptor, never by its path.
        if (disk.fallsThroughTo(first, (end + ss - 1) / ss - first) instanceof FileLayer image && image.pathIsCurrent()) {
            // The caller reads the image itself (libfuse splices it): counted here, where the
            // read is decided, so its latency leaves out the splice.
            f.io().reads().record(end - offset, start);
            return image;
        }
        return null;
    }

    /** Writes at any offset; a write past the end grows the disk to a whole sector. */
    public int write(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
        DiskFile f = file(fh);
        long start = OpCounter.start();
        boolean grows = offset + size > f.size();
        int n;
        try {
            n = f.disk().bytes().write(offset, base, address, size);
        } catch (DiskException | RuntimeException e) {
            f.io().writes().failed();
            throw e;
        }
        f.io().writes().record(n, start);
        f.touchContent(clock.getAsLong());
        if (grows) {
            resized(f);
        }
        return n;
    }

    /** Tells the watchers that {@code f}'s size changed, if it is still in the namespace. */
    private void resized(DiskFile f) {
        synchronized (this) {
            if (files.get(f.name()) == f) {
                events.resized(f);
            }
        }
        events.deliver();
    }

    /** Tells the watchers that {@code f}'s mode or owner changed. */
    private void attributesChanged(DiskFile f) {
        synchronized (this) {
            if (files.get(f.name()) == f) {
                events.attributesChanged(f);
            }
        }
        events.deliver();
    }

    /** A write by someone without CAP_FSETID clears the set-user-ID and set-group-ID bits. */
    public void dropSetIdBits(long fh) throws FsException {
        DiskFile f = file(fh);
        int mode = f.mode();
        if ((mode & 06000) != 0) {
            f.setMode(mode & ~06000, clock.getAsLong());
            attributesChanged(f);
        }
    }

    public void truncate(String path, long size) throws FsException, DiskException {
        resize(lookup(path), size);
    }

    public void ftruncate(long fh, long size) throws FsException, DiskException {
        resize(file(fh), size);
    }

    private void resize(DiskFile f, long size) throws FsException, DiskException {
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the disk is read-only");
        }
        boolean changes = f.size() != size;
        if (changes) {
            f.disk().bytes().resize(size);
        }
        f.touchContent(clock.getAsLong());
        if (changes) {
            resized(f);
        }
    }

    /**
     * {@code fallocate(2)}: PUNCH_HOLE|KEEP_SIZE and ZERO_RANGE[|KEEP_SIZE] make the range read
     * zeros and free its memory; mode 0 grows the disk to cover the range; KEEP_SIZE alone has
     * nothing to reserve. Everything else is EOPNOTSUPP.
     */
    public void fallocate(long fh, int mode, long offset, long length) throws FsException, DiskException {
        DiskFile f = file(fh);
        if (offset < 0 || length <= 0 || length > Long.MAX_VALUE - offset) {
            throw new FsException(Errno.EINVAL, "fallocate range offset " + offset + " length " + length + " is invalid");
        }
        int known = Fallocate.KEEP_SIZE | Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE;
        if ((mode & ~known) != 0 || (mode & (Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE)) == (Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE)) {
            throw new FsException(Errno.EOPNOTSUPP, "fallocate mode " + Fallocate.describe(mode) + " is not supported");
        }
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the disk is read-only");
        }
        boolean keepSize = (mode & Fallocate.KEEP_SIZE) != 0;
        long sizeBefore = f.size();
        if ((mode & Fallocate.PUNCH_HOLE) != 0) {
            if (!keepSize) {
                throw new FsException(Errno.EOPNOTSUPP, "fallocate PUNCH_HOLE needs KEEP_SIZE (mode " + Fallocate.describe(mode) + ")");
            }
            discard(f, offset, length, false);
        } else if ((mode & Fallocate.ZERO_RANGE) != 0) {
            discard(f, offset, length, !keepSize);
        } else if (!keepSize) {
            f.disk().bytes().growTo(offset + length);
        }
        f.touchContent(clock.getAsLong());
        if (f.size() != sizeBefore) {
            resized(f);
        }
    }

    /** A punched hole or zeroed range: counted as a discard of {@code length} bytes. */
    private static void discard(DiskFile f, long offset, long length, boolean grow) throws DiskException {
        long start = OpCounter.start();
        try {
            if (grow) {
                f.disk().bytes().growTo(offset + length);
            }
            f.disk().bytes().unmap(offset, length);
        } catch (DiskException | RuntimeException e) {
            f.io().discards().failed();
            throw e;
        }
        f.io().discards().record(length, start);
    }

    public void fsync(long fh) throws FsException, DiskException {
        file(fh).disk().flush();
    }

    // ------------------------------------------------------------------ namespace

    public void unlink(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() == FsPath.Kind.SNAPSHOT_DISK) {
            deleteSnapshotDisk(p, path);
            return;
        }
        DiskFile closeNow = null;
        try {
            synchronized (this) {
                checkWritableMount("unlink " + path);
                String name = nameOf(path);
                DiskFile f = files.remove(name);
                if (f == null && hidden.remove(name) != null) {
                    return; // removed when it was hidden; the last release frees it
                }
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "no disk " + path);
                }
                if (f.unlink()) {
                    closeNow = f;
                }
                events.removed(f, name);
            }
        } finally {
            events.deliver();
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    /** Renames a disk, replacing (and freeing) any disk already at {@code to}. */
    public void rename(String from, String to) throws FsException {
        DiskFile closeNow = null;
        try {
            synchronized (this) {
                checkWritableMount("rename " + from);
                String a = nameOf(from);
                String b = newName(to);
                DiskFile f = files.get(a);
                if (f == null) {
                    throw new FsException(Errno.ENOENT, "no disk " + from);
                }
                if (a.equals(b)) {
                    return;
                }
                if (b.startsWith(HIDDEN_PREFIX)) {
                    closeNow = hide(f, a, b);
                } else {
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
                }
            }
        } finally {
            events.deliver();
        }
        if (closeNow != null) {
            closeNow.disk().close();
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

    public void chmod(String path, int mode) throws FsException {
        checkWritableMount("chmod " + path);
        checkNotSnapshot(path);
        DiskFile f = lookup(path);
        f.setMode(mode, clock.getAsLong());
        attributesChanged(f);
    }

    public void chown(String path, int uid, int gid) throws FsException {
        checkWritableMount("chown " + path);
        checkNotSnapshot(path);
        DiskFile f = lookup(path);
        f.setOwner(uid, gid, clock.getAsLong());
        attributesChanged(f);
    }

    /** Sets times in nanoseconds; {@link #UTIME_NOW} and {@link #UTIME_OMIT} as in utimensat(2). */
    public void utimens(String path, long atimeNanos, long mtimeNanos) throws FsException {
        checkWritableMount("utimens " + path);
        checkNotSnapshot(path);
        DiskFile f = lookup(path);
        long now = clock.getAsLong();
        long a = atimeNanos == UTIME_NOW ? now : atimeNanos == UTIME_OMIT ? f.atimeNanos() : atimeNanos;
        long m = mtimeNanos == UTIME_NOW ? now : mtimeNanos == UTIME_OMIT ? f.mtimeNanos() : mtimeNanos;
        f.setTimes(a, m, now);
    }

    /** mkdir, symlink, link, mknod: the directory holds only disks. */
    public static FsException notADiskOperation(String op, String path) {
        log.debug("{} {} refused: the mount holds only regular files, one per disk", op, path);
        return new FsException(Errno.EPERM, op + " " + path + ": the mount holds only disks (regular files)");
    }

    private void checkWritableMount(String what) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, "the mount is read-only: cannot " + what);
        }
    }

    // ------------------------------------------------------------------ snapshots, rollback, clones

    private void checkNotSnapshot(String path) throws FsException {
        if (FsPath.parse(path).inSnapshots()) {
            throw new FsException(Errno.EROFS, path + " is a snapshot: snapshots never change");
        }
    }

    private static String snapshotName(String name) throws FsException {
        String problem = DiskNames.problem(name);
        if (problem != null) {
            Errno e = name != null && name.getBytes(StandardCharsets.UTF_8).length > DiskNames.MAX_BYTES ? Errno.ENAMETOOLONG : Errno.EINVAL;
            throw new FsException(e, problem.replace("disk name", "snapshot name"));
        }
        return name;
    }

    /**
     * {@code mkdir /.snap/NAME}: snapshots every disk at one instant (all or none). A mount without
     * disks gets an empty snapshot.
     */
    public void snapshotAll(String name) throws FsException, DiskException {
        synchronized (this) {
            checkWritableMount("take snapshot " + name);
            snapshotName(name);
            if (snapshots.get(name) != null) {
                throw new FsException(Errno.EEXIST, "snapshot " + name + " exists");
            }
            List<String> names = names();
            List<LayeredDisk> disks = new ArrayList<>();
            for (String n : names) {
                checkNotPassthrough(files.get(n), n, "snapshot");
                disks.add(files.get(n).disk());
            }
            List<LayeredDisk> taken = LayeredDisk.snapshotAll(disks);
            long now = clock.getAsLong();
            SnapshotTable.Snapshot s = snapshots.add(name, nextInode++, now, owner.uid());
            for (int i = 0; i < names.size(); i++) {
                DiskFile of = files.get(names.get(i));
                s.put(names.get(i), of.id(), snapshotFileOf(of, taken.get(i), now));
            }
            log.debug("snapshot {} of {} disks", name, names.size());
        }
    }

    /**
     * A passthrough disk's writes go from the kernel to its backing file without passing
     * through ramdiskfs, so no request boundary can be drawn while it is open that way.
     */
    private static void checkNotPassthrough(DiskFile f, String disk, String what) throws FsException {
        if (f.backing() == null) {
            return;
        }
        if (f.isPassthroughOpen()) {
            throw new FsException(Errno.EBUSY, "cannot " + what + " disk " + disk + ": it is open in passthrough mode, where the"
                    + " kernel writes it without asking ramdiskfs; close it first");
        }
        throw new FsException(Errno.EOPNOTSUPP, "cannot " + what + " disk " + disk + ": passthrough disks have no layers");
    }

    private DiskFile snapshotFileOf(DiskFile of, LayeredDisk snapshot, long now) {
        return new DiskFile(this, of.name(), nextInode++, snapshot, of.mode() & ~0222, of.uid(), of.gid(), now);
    }

    /** {@code setfattr -n user.ramdiskfs.snapshot -v NAME DISK} by the daemon's own user (the control API). */
    public void snapshotDisk(String path, String name) throws FsException, DiskException {
        snapshotDisk(path, name, owner.uid());
    }

    /**
     * {@code setfattr -n user.ramdiskfs.snapshot -v NAME DISK} by user {@code uid}: one disk into
     * snapshot NAME, made if it does not exist (then {@code uid} owns it). Adding to a snapshot
     * someone else made is EACCES unless the caller is root or the daemon's user: a disk in another
     * user's group snapshot, held open, would make every whole-mount rollback to it EBUSY.
     */
    public void snapshotDisk(String path, String name, int uid) throws FsException, DiskException {
        synchronized (this) {
            checkWritableMount("take snapshot " + name);
            snapshotName(name);
            FsPath p = FsPath.parse(path);
            if (p.kind() != FsPath.Kind.DISK) {
                throw new FsException(Errno.EINVAL, "only a disk can be snapshotted alone, not " + path);
            }
            DiskFile f = lookup(path);
            if (f.isUnlinked()) { // found by libfuse's hidden name: removed, open still (fsetxattr)
                throw new FsException(Errno.ENOENT, "disk " + path + " has been removed");
            }
            SnapshotTable.Snapshot s = snapshots.get(name);
            if (s != null) {
                if (uid != 0 && uid != owner.uid() && uid != s.ownerUid) {
                    throw new FsException(Errno.EACCES, "user " + uid + " may not add disk " + p.disk() + " to snapshot " + name
                            + ": user " + s.ownerUid + " made it; take a snapshot of another name");
                }
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
            checkNotPassthrough(f, p.disk(), "snapshot");
            LayeredDisk taken = f.disk().snapshot();
            long now = clock.getAsLong();
            if (s == null) {
                s = snapshots.add(name, nextInode++, now, uid);
            }
            s.put(p.disk(), f.id(), snapshotFileOf(f, taken, now));
        }
    }

    /** {@code rmdir /.snap/NAME}: deletes the snapshot of every disk it holds. */
    public void deleteSnapshot(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() != FsPath.Kind.SNAPSHOT) {
            throw notADiskOperation("rmdir", path);
        }
        List<DiskFile> closeNow = new ArrayList<>();
        synchronized (this) {
            checkWritableMount("delete snapshot " + path);
            SnapshotTable.Snapshot s = snapshots.remove(p.snapshot());
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

    private void deleteSnapshotDisk(FsPath p, String path) throws FsException {
        DiskFile closeNow = null;
        synchronized (this) {
            checkWritableMount("delete snapshot " + path);
            SnapshotTable.Snapshot s = snapshots.get(p.snapshot());
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
     * How long a rollback or commit waits for a disk's writers to go before it answers EBUSY. The
     * kernel sends FUSE_RELEASE in the background, so close(2) returns before ramdiskfs hears of
     * it: without a grace a rollback right after the writer closed could find its handle still
     * counted (bench/soak.sh met that under load).
     */
    static final long RELEASE_GRACE_MILLIS = 1000;
    private volatile long releaseGraceNanos = RELEASE_GRACE_MILLIS * 1_000_000;

    /** Shortens (or lengthens) {@link #RELEASE_GRACE_MILLIS}: for tests that meet EBUSY thousands of times. */
    public void releaseGrace(java.time.Duration grace) {
        this.releaseGraceNanos = grace.toNanos();
    }

    /** The deadline of a wait for writers that starts now. */
    long releaseDeadline() {
        return System.nanoTime() + releaseGraceNanos;
    }

    /**
     * Waits, until {@code deadline} ({@link System#nanoTime}), for {@code f} to have no handle
     * open for writing; true when it has none. The caller holds this directory's monitor, which
     * waiting gives up so that {@link #release} can run.
     */
    boolean awaitNoWriters(DiskFile f, long deadline) {
        while (f.writers() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * {@code setfattr -n user.ramdiskfs.rollback -v NAME}: on a disk, that disk; on the root, every
     * disk snapshot NAME holds, all or none. EBUSY while a disk is open for writing (after waiting
     * {@link #RELEASE_GRACE_MILLIS} for releases in flight).
     */
    public void rollback(String path, String name) throws FsException, DiskException {
        try {
            synchronized (this) {
                checkWritableMount("roll back to " + name);
                FsPath p = FsPath.parse(path);
                if (snapshots.get(name) == null) {
                    throw new FsException(Errno.ENOENT, "no snapshot " + name);
                }
                if (p.kind() != FsPath.Kind.ROOT && p.kind() != FsPath.Kind.DISK) {
                    throw new FsException(Errno.EINVAL, "only a disk or the mount can be rolled back, not " + path);
                }
                long deadline = releaseDeadline();
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
                    if (!awaitNoWriters(busy, deadline)) {
                        throw new FsException(Errno.EBUSY, "disk " + busy.name() + " is open for writing (" + busy.writers()
                                + " handles: a VM or a loop device?); stop the writer first");
                    }
                    // The wait gave up the monitor: a disk checked before it may have been opened
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
     * monitor. Each disk goes back to its own snapshot, found by identity: a disk renamed since
     * goes back under its new name, a disk that only shares a name with the one taken is refused.
     */
    private List<RollbackTarget> rollbackTargets(SnapshotTable.Snapshot s, FsPath p) throws FsException {
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

    private RollbackTarget target(DiskFile f, DiskFile point) throws FsException {
        checkNotPassthrough(f, f.name(), "roll back");
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "disk " + f.name() + " is read-only");
        }
        return new RollbackTarget(f, point);
    }

    /** A new disk {@code name}, a clone of the disk or snapshot at {@code path}: it shares the data. */
    public void cloneTo(String path, String name, int uid, int gid) throws FsException, DiskException {
        try {
            synchronized (this) {
                checkWritableMount("clone " + path + " to " + name);
                String dst = newName("/" + name);
                DiskFile src = lookup(path);
                if (files.containsKey(dst)) {
                    throw new FsException(Errno.EEXIST, "disk " + dst + " exists");
                }
                checkNotPassthrough(src, path, "clone");
                LayeredDisk clone = src.disk().cloneDisk();
                DiskFile f = new DiskFile(this, dst, nextInode++, clone, src.mode() | 0200, uid, gid, clock.getAsLong());
                files.put(dst, f);
                events.created(f);
            }
        } finally {
            events.deliver();
        }
    }

    /**
     * A clone by attribute creates a disk in the root, but the kernel sees only a setxattr on the
     * source (for which it checks write permission on the source, under {@code default_permissions})
     * and never the create. So the check it makes before {@code create} or {@code cp} is made
     * here: write permission on the root, as {@link #directory} reports it (owned by {@link #owner}).
     * Without it, the owner of one disk on an {@code allow_other} mount could add disks.
     */
    private void checkMayCreateDisk(int uid, int gid, String name) throws FsException {
        int mode = 0755; // a read-only mount's 0555 refuses everyone: cloneTo says EROFS
        if (!readOnly && !owner.grantsWrite(uid, gid, mode)) {
            throw new FsException(Errno.EACCES, "user " + uid + " may not create disk " + name + " in the mount root");
        }
    }

    /** The snapshots that hold the disk at {@code path}, oldest first, space-separated. */
    private synchronized String snapshotsOf(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() != FsPath.Kind.DISK) {
            return "";
        }
        DiskFile f = files.get(p.disk());
        return f == null ? "" : String.join(" ", snapshots.namesHolding(f.id()));
    }

    /** Snapshot names, oldest first. */
    public synchronized List<String> snapshotNames() {
        return snapshots.names();
    }

    /**
     * A save or commit writes a file where the caller says (or beside a base), with the rights of
     * the user who runs ramdiskfs, often root: on an {@code --allow-other} mount any other user
     * could otherwise have root overwrite any file. Only that user and root may.
     */
    private void checkMayWriteImages(int uid, String what) throws FsException {
        if (!owner.mayWriteImagesFor(uid)) {
            throw new FsException(Errno.EACCES, "user " + uid + " may not " + what + ": it writes files with the rights of"
                    + " the user who runs ramdiskfs (" + owner.uid() + "); only that user and root may");
        }
    }

    /** Sets one of the attributes that act ({@link #XATTR_SNAPSHOT}, {@link #XATTR_ROLLBACK}, {@link #XATTR_CLONE}). */
    public void setXattr(String path, String name, String value, int uid, int gid) throws FsException, DiskException {
        FsPath p = FsPath.parse(path);
        switch (name) {
            case XATTR_SNAPSHOT -> {
                if (p.kind() == FsPath.Kind.ROOT) {
                    snapshotAll(value);
                } else {
                    snapshotDisk(path, value, uid);
                }
            }
            case XATTR_ROLLBACK -> rollback(path, value);
            case XATTR_CLONE -> {
                checkMayCreateDisk(uid, gid, value);
                cloneTo(path, value, uid, gid);
            }
            case XATTR_SAVE -> {
                checkMayWriteImages(uid, "save " + path);
                images.startSave(path, value);
            }
            case XATTR_COMMIT -> {
                checkWritableMount("commit " + path);
                checkMayWriteImages(uid, "commit " + path);
                images.commit(path);
            }
            default -> {
                if (name.startsWith(XATTR_PREFIX)) {
                    throw new FsException(Errno.EPERM, "attribute " + name + " cannot be set (only " + XATTR_SNAPSHOT + ", "
                            + XATTR_ROLLBACK + ", " + XATTR_CLONE + ", " + XATTR_SAVE + " and " + XATTR_COMMIT + " can)");
                }
                throw new FsException(Errno.EOPNOTSUPP, "only user.ramdiskfs.* attributes exist here, not " + name);
            }
        }
    }

    /**
     * {@code copy_file_range}: copies {@code length} bytes from one open disk to another (or the
     * same one). When the offsets are equal and sector-aligned and the disks can share layers
     * ({@link LayeredDisk#shareRange}) nothing is copied: this is how {@code cp} of a disk becomes
     * a clone. Anything else is copied here, through a buffer, without a round trip to the caller.
     *
     * @return the bytes copied: {@code length}, or fewer when the source ends first
     */
    public long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length) throws FsException, DiskException {
        DiskFile in = file(fhIn);
        DiskFile out = file(fhOut);
        if (offIn < 0 || offOut < 0 || length < 0 || length > Long.MAX_VALUE - offIn || length > Long.MAX_VALUE - offOut) {
            throw new FsException(Errno.EINVAL, "copy of " + length + " bytes from " + offIn + " to " + offOut + " is out of range");
        }
        if (out.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the destination disk is read-only");
        }
        long size = in.size();
        if (offIn >= size || length == 0) {
            return 0;
        }
        long n = Math.min(length, size - offIn);
        int ss = in.disk().sectorSize();
        if (offIn == offOut && offIn % ss == 0 && n % ss == 0
                && LayeredDisk.shareRange(in.disk(), out.disk(), offIn / ss, n / ss)) {
            out.touchContent(clock.getAsLong());
            return n;
        }
        CopyBuffer buffer = COPY_BUFFER.get();
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(CopyBuffer.BYTES, n - done);
            int got = in.disk().bytes().read(offIn + done, null, buffer.address, piece);
            if (got <= 0) {
                return done;
            }
            try {
                out.disk().bytes().write(offOut + done, null, buffer.address, got);
            } catch (DiskException e) {
                if (done == 0) {
                    throw e;
                }
                // Pieces are written already: say how many bytes, as a short write does, rather
                // than an error over a destination that changed. The caller's next call gets it.
                out.touchContent(clock.getAsLong());
                return done;
            }
            done += got;
            if (done == n) {
                break;
            }
        }
        out.touchContent(clock.getAsLong());
        return n;
    }

    /** {@code lseek} whence values the kernel passes on: SEEK_DATA and SEEK_HOLE (the others it answers itself). */
    public static final int SEEK_SET = 0;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    /**
     * {@code lseek(2)} of an open disk: SEEK_DATA and SEEK_HOLE from its layers
     * ({@link LayeredDisk#seekData}); ENXIO at or past the end, as on any file system.
     */
    public long seek(long fh, long offset, int whence) throws FsException {
        LayeredDisk d = file(fh).disk();
        long answer = switch (whence) {
            case SEEK_SET -> offset;
            case SEEK_END -> d.sizeBytes() + offset;
            case SEEK_DATA -> d.seekData(offset);
            case SEEK_HOLE -> d.seekHole(offset);
            default -> throw new FsException(Errno.EINVAL, "lseek whence " + whence + " is not SEEK_DATA or SEEK_HOLE");
        };
        if (answer < 0) {
            throw new FsException(Errno.ENXIO, "offset " + offset + " lies at or past the end of the disk ("
                    + d.sizeBytes() + " bytes)" + (whence == SEEK_DATA ? " or no data follows it" : ""));
        }
        return answer;
    }

    /** One MiB of native memory per thread that copies ranges; kept for the thread's life. */
    private static final class CopyBuffer {
        static final int BYTES = 1 << 20;
        final long address = io.ramdiskfs.disk.NativeMemory.allocate(BYTES);
    }

    private static final ThreadLocal<CopyBuffer> COPY_BUFFER = ThreadLocal.withInitial(CopyBuffer::new);

    // ------------------------------------------------------------------ inspection

    /** The names of the extended attributes every disk (or snapshot of one) has. */
    public List<String> xattrNames(String path) throws FsException {
        if (isRoot(path)) {
            return List.of(XATTR_STATUS);
        }
        lookup(path);
        return FsPath.parse(path).inSnapshots() ? SNAPSHOT_XATTRS : XATTRS;
    }

    /** The value of one {@code user.ramdiskfs.*} attribute; ENODATA for any other name. */
    public byte[] xattr(String path, String name) throws FsException {
        if (isRoot(path) && XATTR_STATUS.equals(name)) {
            // Within the kernel's 64 KiB for one attribute: past it, every reader gets E2BIG.
            return io.ramdiskfs.status.StatusJson.writeWithin(status(), io.ramdiskfs.status.StatusJson.XATTR_SIZE_MAX)
                    .getBytes(StandardCharsets.UTF_8);
        }
        if (FsPath.parse(path).isDirectory()) {
            throw new FsException(Errno.ENODATA, "the directory has no attribute " + name);
        }
        LayeredDisk d = lookup(path).disk();
        String value = switch (name) {
            case XATTR_LAYERS -> describeLayers(d);
            case XATTR_COMMITTED -> Long.toString(d.committedBytes());
            case XATTR_SECTOR_SIZE -> Integer.toString(d.sectorSize());
            case XATTR_SNAPSHOTS -> snapshotsOf(path);
            case XATTR_SAVE_STATUS -> images.status(path);
            default -> throw new FsException(Errno.ENODATA, "no attribute " + name + " on " + path);
        };
        return value.getBytes(StandardCharsets.UTF_8);
    }

    static String describeLayers(LayeredDisk d) {
        StringBuilder sb = new StringBuilder();
        List<LayerIo> layers = d.layers();
        for (int i = 0; i < layers.size(); i++) {
            LayerIo l = layers.get(i);
            if (sb.length() > 0) {
                sb.append(" over ");
            }
            sb.append(l.kind()).append(d.roleOf(i));
            if (!"ram".equals(l.kind())) {
                sb.append(':').append(l.description());
            }
        }
        return sb.toString();
    }

    /**
     * Every disk and the budget now, with the I/O since the mount; disks sorted by name. Memory
     * used is {@link #memoryUsed()}, what {@code df} shows: passthrough files included.
     */
    public MountStatus status() {
        List<DiskStatus> disks = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(files).entrySet()) {
            LayeredDisk d = e.getValue().disk();
            var io = e.getValue().io();
            List<String> snaps;
            synchronized (this) {
                snaps = snapshots.namesHolding(e.getValue().id());
            }
            disks.add(new DiskStatus(e.getKey(), d.sizeBytes(), d.committedBytes(), d.zeroBytesWritten(), d.sectorSize(), d.isReadOnly(),
                    describeLayers(d), snaps, io.reads().snapshot(), io.writes().snapshot(), io.discards().snapshot()));
        }
        return new MountStatus(budget.limit(), memoryUsed(), madeAtMillis, System.currentTimeMillis(), disks);
    }

    /** Closes every disk (unmount), including unlinked disks whose handles were never released. */
    public void closeAll() {
        synchronized (this) {
            // One batch: closing one by one would merge frozen layers that are about to be freed.
            java.util.Set<LayeredDisk> all = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
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
            for (DiskFile f : handles.openFiles()) {
                all.add(f.disk());
            }
            for (Hold h : holds) {
                all.add(h.file.disk());
            }
            holds.clear();
            LayeredDisk.closeAll(all);
        }
        events.deliver();
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.stats.OpCounter;
import io.ramdiskfs.status.MountStatus;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filesystem in plain Java: a flat directory in which every regular file is a disk. The FUSE
 * adapter only converts pointers and structures and calls this; tests call it without a mount.
 *
 * <p>This is the facade of the mount and its data path. Each concept has a class of its own, and
 * this one holds them together: the names ({@link Namespace}), who holds a disk open
 * ({@link OpenHandles}), snapshots, rollback and clones ({@link Snapshots}), the
 * {@code user.ramdiskfs.*} protocol ({@link ControlAttributes}), who may change what
 * ({@link PermissionPolicy}), copy_file_range and lseek ({@link RangeOperations}) and status
 * ({@link MountStatusView}). Their changes take one {@link DirectoryLock}; lookups and I/O do not.
 *
 * <p>Paths are {@code "/"} or {@code "/NAME"}. Byte I/O goes through the disk's
 * {@link io.ramdiskfs.disk.DiskBytes} view, by handle, with no allocation.
 *
 * <p>As the {@link DiskNamespace} of the mount it is what every door sees: a change is queued for
 * the watchers under the lock and told to them after it ({@link io.ramdiskfs.disks.NamespaceEvents}).
 */
public final class DiskDirectory implements DiskNamespace {
    private static final Logger log = LoggerFactory.getLogger(DiskDirectory.class);
    /** {@code utimens} values that mean "now" and "leave alone". */
    public static final long UTIME_NOW = Long.MIN_VALUE + 1;
    public static final long UTIME_OMIT = Long.MIN_VALUE;

    private final DirectoryLock lock = new DirectoryLock();
    private final PermissionPolicy policy;
    private final Namespace namespace;
    private final OpenHandles handles;
    private final Snapshots snapshots;
    private final ControlAttributes attributes;
    private final RangeOperations ranges;
    private final MountStatusView statusView;
    private final ImageJobs images = new ImageJobs(this);
    private final MemoryBudget budget;
    private final LongSupplier clock;

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
        this.budget = budget;
        this.clock = clock;
        this.policy = new PermissionPolicy(readOnly, owner);
        this.namespace = new Namespace(this, lock, policy, factory, clock);
        this.handles = new OpenHandles(lock, namespace);
        this.snapshots = new Snapshots(lock, namespace, policy, clock);
        this.attributes = new ControlAttributes(this, snapshots, policy);
        this.ranges = new RangeOperations(handles, namespace, clock);
        this.statusView = new MountStatusView(namespace, handles, snapshots, budget);
    }

    /** The owner of the root, {@code .snap} and every snapshot directory. */
    public DaemonUser owner() {
        return policy.owner();
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
        return policy.readOnly();
    }

    public MemoryBudget budget() {
        return budget;
    }

    /** The lock every change of the mount takes ({@link DirectoryLock} says what it guards). */
    DirectoryLock lock() {
        return lock;
    }

    /** Data memory held by every disk, what {@code df} shows as used ({@link MountStatusView#memoryUsed}). */
    public long memoryUsed() {
        return statusView.memoryUsed();
    }

    /** Adds a disk made at mount time. */
    public DiskFile add(String name, LayeredDisk disk, int uid, int gid) {
        return namespace.add(name, disk, uid, gid);
    }

    // ------------------------------------------------------------------ the doors' namespace

    @Override
    public List<ServedDisk> disks() {
        return namespace.disks();
    }

    @Override
    public Optional<ServedDisk> find(String name) {
        return namespace.find(name);
    }

    @Override
    public AutoCloseable watch(NamespaceWatcher watcher) {
        return namespace.watch(watcher);
    }

    /** {@link ServedDisk#hold}: counts as a handle open on {@code f}, for writing if {@code writing}. */
    DiskHold hold(DiskFile f, String holder, boolean writing) throws FsException {
        return handles.hold(f, holder, writing);
    }

    /** The names of the disks, in no particular order. */
    public List<String> names() {
        return namespace.names();
    }

    /** True for the root directory's path. */
    public static boolean isRoot(String path) {
        return "/".equals(path);
    }

    /** The disk, or the snapshot of a disk ({@code /.snap/NAME/DISK}), at {@code path}. */
    public DiskFile lookup(String path) throws FsException {
        return namespace.lookup(path);
    }

    /** A directory's attributes. */
    public record DirectoryInfo(long inode, long timeNanos, int mode) {}

    /**
     * The directory at {@code path} (the root, {@code /.snap}, a snapshot), or null when the path
     * names a file; ENOENT when it names nothing.
     */
    public DirectoryInfo directory(String path, long rootTimeNanos) throws FsException {
        return namespace.directory(path, rootTimeNanos);
    }

    /** The names in a directory: disks in the root (the snapshot directory is not listed), snapshots, a snapshot's disks. */
    public List<String> list(String path) throws FsException {
        return namespace.list(path);
    }

    // ------------------------------------------------------------------ handles

    /** Opens a disk; writing opens of a read-only disk fail with EROFS. */
    public long open(String path, int flags) throws FsException {
        return handles.open(path, flags);
    }

    /** Creates an empty disk (or opens the existing one) and returns a handle. */
    public long create(String path, int mode, int uid, int gid) throws FsException {
        try {
            synchronized (lock) { // made and opened at once: no unlink can come between
                return handles.add(namespace.createIfAbsent(path, mode, uid, gid), true);
            }
        } finally {
            namespace.events().deliver();
        }
    }

    /** The file of an open handle. */
    public DiskFile file(long fh) throws FsException {
        return handles.file(fh);
    }

    /**
     * Records that the kernel serves handle {@code fh} by passthrough
     * ({@link DiskFile#isPassthroughOpen()}), until it is released.
     */
    public void markPassthrough(long fh) throws FsException {
        handles.markPassthrough(fh);
    }

    /** Closes a handle; the last handle of an unlinked disk frees it. */
    public void release(long fh) {
        handles.release(fh);
    }

    // ------------------------------------------------------------------ data

    public int read(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
        DiskFile f = handles.file(fh);
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
        return handles.file(fh).disk().bytes().read(offset, base, address, size);
    }

    /**
     * Reads in place ({@link io.ramdiskfs.disk.DiskBytes#readInPlace}): the runs go to
     * {@code vector}, which passes them on while they are held.
     *
     * @return the bytes delivered, 0 at or past the end (nothing delivered), -1 when the disk
     *     cannot be read in place (nothing delivered; use {@link #read})
     */
    public int readInPlace(long fh, long offset, int size, ReadVector vector) throws FsException, DiskException {
        DiskFile f = handles.file(fh);
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
        DiskFile f = handles.file(fh);
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
        DiskFile f = handles.file(fh);
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
            namespace.resized(f);
        }
        return n;
    }

    /** A write by someone without CAP_FSETID clears the set-user-ID and set-group-ID bits. */
    public void dropSetIdBits(long fh) throws FsException {
        DiskFile f = handles.file(fh);
        int mode = f.mode();
        if ((mode & 06000) != 0) {
            f.setMode(mode & ~06000, clock.getAsLong());
            namespace.attributesChanged(f);
        }
    }

    public void truncate(String path, long size) throws FsException, DiskException {
        ranges.resize(lookup(path), size);
    }

    public void ftruncate(long fh, long size) throws FsException, DiskException {
        ranges.resize(handles.file(fh), size);
    }

    /** {@code fallocate(2)} ({@link RangeOperations#fallocate}). */
    public void fallocate(long fh, int mode, long offset, long length) throws FsException, DiskException {
        ranges.fallocate(handles.file(fh), mode, offset, length);
    }

    public void fsync(long fh) throws FsException, DiskException {
        handles.file(fh).disk().flush();
    }

    /** {@code copy_file_range} ({@link RangeOperations#copyRange}). */
    public long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length) throws FsException, DiskException {
        return ranges.copyRange(fhIn, offIn, fhOut, offOut, length);
    }

    /** {@code lseek} with SEEK_DATA or SEEK_HOLE ({@link RangeOperations#seek}). */
    public long seek(long fh, long offset, int whence) throws FsException {
        return ranges.seek(fh, offset, whence);
    }

    // ------------------------------------------------------------------ namespace

    public void unlink(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() == FsPath.Kind.SNAPSHOT_DISK) {
            snapshots.deleteSnapshotDisk(p, path);
            return;
        }
        closeIfLast(namespace.unlink(path));
    }

    /** Renames a disk, replacing (and freeing) any disk already at {@code to}. */
    public void rename(String from, String to) throws FsException {
        closeIfLast(namespace.rename(from, to));
    }

    /** Closes a disk that left the namespace with no handle open (closed outside the lock: it may merge layers). */
    private static void closeIfLast(DiskFile closeNow) {
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    public void chmod(String path, int mode) throws FsException {
        namespace.chmod(path, mode);
    }

    public void chown(String path, int uid, int gid) throws FsException {
        namespace.chown(path, uid, gid);
    }

    /** Sets times in nanoseconds; {@link #UTIME_NOW} and {@link #UTIME_OMIT} as in utimensat(2). */
    public void utimens(String path, long atimeNanos, long mtimeNanos) throws FsException {
        namespace.utimens(path, atimeNanos, mtimeNanos);
    }

    /** mkdir, symlink, link, mknod: the directory holds only disks. */
    public static FsException notADiskOperation(String op, String path) {
        log.debug("{} {} refused: the mount holds only regular files, one per disk", op, path);
        return new FsException(Errno.EPERM, op + " " + path + ": the mount holds only disks (regular files)");
    }

    // ------------------------------------------------------------------ snapshots, rollback, clones

    /** {@code mkdir /.snap/NAME}: snapshots every disk at one instant ({@link Snapshots#snapshotAll}). */
    public void snapshotAll(String name) throws FsException, DiskException {
        snapshots.snapshotAll(name);
    }

    /** {@code setfattr -n user.ramdiskfs.snapshot -v NAME DISK} by the daemon's own user (the control API). */
    public void snapshotDisk(String path, String name) throws FsException, DiskException {
        snapshots.snapshotDisk(path, name, policy.owner().uid());
    }

    /** The same by user {@code uid} ({@link Snapshots#snapshotDisk}). */
    public void snapshotDisk(String path, String name, int uid) throws FsException, DiskException {
        snapshots.snapshotDisk(path, name, uid);
    }

    /** {@code rmdir /.snap/NAME}: deletes the snapshot of every disk it holds. */
    public void deleteSnapshot(String path) throws FsException {
        snapshots.deleteSnapshot(path);
    }

    /** Shortens (or lengthens) {@link DirectoryLock#RELEASE_GRACE_MILLIS}: for tests that meet EBUSY thousands of times. */
    public void releaseGrace(java.time.Duration grace) {
        lock.releaseGrace(grace);
    }

    /** {@code setfattr -n user.ramdiskfs.rollback -v NAME} on a disk or the root ({@link Snapshots#rollback}). */
    public void rollback(String path, String name) throws FsException, DiskException {
        snapshots.rollback(path, name);
    }

    /** A new disk {@code name}, a clone of the disk or snapshot at {@code path}: it shares the data. */
    public void cloneTo(String path, String name, int uid, int gid) throws FsException, DiskException {
        snapshots.cloneTo(path, name, uid, gid);
    }

    /** Snapshot names, oldest first. */
    public List<String> snapshotNames() {
        return snapshots.names();
    }

    // ------------------------------------------------------------------ the control attributes

    /** Sets one of the attributes that act ({@link ControlAttributes#write}). */
    public void setXattr(String path, String name, String value, int uid, int gid) throws FsException, DiskException {
        attributes.write(path, name, value, uid, gid);
    }

    /** The names of the extended attributes every disk (or snapshot of one) has. */
    public List<String> xattrNames(String path) throws FsException {
        return attributes.names(path);
    }

    /** The value of one {@code user.ramdiskfs.*} attribute; ENODATA for any other name. */
    public byte[] xattr(String path, String name) throws FsException {
        return attributes.read(path, name);
    }

    // ------------------------------------------------------------------ status and unmount

    /** Every disk and the budget now, with the I/O since the mount ({@link MountStatusView#status}). */
    public MountStatus status() {
        return statusView.status();
    }

    /** Closes every disk (unmount), including unlinked disks whose handles were never released. */
    public void closeAll() {
        synchronized (lock) {
            // One batch: closing one by one would merge frozen layers that are about to be freed.
            Set<LayeredDisk> all = Collections.newSetFromMap(new IdentityHashMap<>());
            namespace.clear(all);
            for (DiskFile f : handles.openFiles()) {
                all.add(f.disk());
            }
            handles.clearHolds();
            LayeredDisk.closeAll(all);
        }
        namespace.events().deliver();
    }
}

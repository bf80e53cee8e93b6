package io.ramdiskfs.fs;

import io.ramdiskfs.DiskNames;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.file.FileLayer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class DiskDirectory {
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
    private static final List<String> XATTRS = List.of(XATTR_LAYERS, XATTR_COMMITTED, XATTR_SECTOR_SIZE);

    private final ConcurrentHashMap<String, DiskFile> files = new ConcurrentHashMap<>();
    private final HandleTable handles = new HandleTable();
    /** Handles open in passthrough mode ({@link #markPassthrough}). */
    private final java.util.Set<Long> passthroughHandles = ConcurrentHashMap.newKeySet();
    private final DiskFactory factory;
    private final MemoryBudget budget;
    private final boolean readOnly;
    private final LongSupplier clock;
    private long nextInode = 2;

    /**
     * @param factory  makes the disk of a created file
     * @param budget   the memory budget every disk draws from, shown by {@code df}
     * @param readOnly the whole mount is read-only: no create, unlink, rename or attribute change
     * @param clock    the time in nanoseconds since the epoch
     */
    public DiskDirectory(DiskFactory factory, MemoryBudget budget, boolean readOnly, LongSupplier clock) {
        this.factory = factory;
        this.budget = budget;
        this.readOnly = readOnly;
        this.clock = clock;
    }

    /**
     * The wall clock in nanoseconds, at millisecond resolution: every write stamps the mtime, and
     * this costs no allocation where {@code Instant.now()} would.
     */
    public static long wallClockNanos() {
        return System.currentTimeMillis() * 1_000_000L;
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
        for (DiskFile f : all) {
            BackingFile b = f.backing();
            if (b != null && seen.add(b)) {
                used += f.disk().committedBytes();
            }
        }
        return used;
    }

    /** Adds a disk made at mount time. */
    public synchronized DiskFile add(String name, LayeredDisk disk, int uid, int gid) {
        DiskNames.check(name);
        DiskFile f = new DiskFile(nextInode++, disk, disk.isReadOnly() ? 0444 : 0644, uid, gid, clock.getAsLong());
        if (files.putIfAbsent(name, f) != null) {
            throw new IllegalArgumentException("disk name '" + name + "' is given twice");
        }
        return f;
    }

    /** The names of the disks, in no particular order. */
    public List<String> names() {
        return new ArrayList<>(files.keySet());
    }

    /** True for the root directory's path. */
    public static boolean isRoot(String path) {
        return "/".equals(path);
    }

    /** The disk at {@code path}. */
    public DiskFile lookup(String path) throws FsException {
        DiskFile f = files.get(nameOf(path));
        if (f == null) {
            throw new FsException(Errno.ENOENT, "no disk " + path);
        }
        return f;
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
            if ((flags & O_ACCMODE) != O_RDONLY && f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, path + " is a read-only disk");
            }
            f.opened();
            return handles.add(f);
        }
    }

    /** Creates an empty disk (or opens the existing one) and returns a handle. */
    public long create(String path, int mode, int uid, int gid) throws FsException {
        synchronized (this) {
            String name = newName(path);
            DiskFile f = files.get(name);
            if (f == null) {
                if (readOnly) {
                    throw new FsException(Errno.EROFS, "the mount is read-only: cannot create " + path);
                }
                f = new DiskFile(nextInode++, factory.emptyDisk(), mode, uid, gid, clock.getAsLong());
                files.put(name, f);
                log.debug("created disk {}", name);
            }
            f.opened();
            return handles.add(f);
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
            if (f != null && f.released()) {
                closeNow = f;
            }
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    // ------------------------------------------------------------------ data

    public int read(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
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
        return file(fh).disk().bytes().readInPlace(offset, size, vector);
    }

    /**
     * The image file that alone holds the bytes a read of {@code [offset, offset + size)} would
     * return (clamped to the disk's size): a memdiff disk whose RAM layer holds none of the
     * sectors involved. A raw image maps disk byte N to file byte N, so the caller may read the
     * file there instead. Null when any byte would come from elsewhere, or nothing is left to read.
     */
    public FileLayer imageUnder(long fh, long offset, int size) throws FsException {
        LayeredDisk disk = file(fh).disk();
        long end = Math.min(disk.sizeBytes(), offset + size);
        if (offset < 0 || offset >= end) {
            return null;
        }
        int ss = disk.sectorSize();
        long first = offset / ss;
        return disk.fallsThroughTo(first, (end + ss - 1) / ss - first) instanceof FileLayer image ? image : null;
    }

    /** Writes at any offset; a write past the end grows the disk to a whole sector. */
    public int write(long fh, long offset, Object base, long address, int size) throws FsException, DiskException {
        DiskFile f = file(fh);
        int n = f.disk().bytes().write(offset, base, address, size);
        f.touchContent(clock.getAsLong());
        return n;
    }

    /** A write by someone without CAP_FSETID clears the set-user-ID and set-group-ID bits. */
    public void dropSetIdBits(long fh) throws FsException {
        DiskFile f = file(fh);
        int mode = f.mode();
        if ((mode & 06000) != 0) {
            f.setMode(mode & ~06000, clock.getAsLong());
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
        if (f.size() != size) {
            f.disk().bytes().resize(size);
        }
        f.touchContent(clock.getAsLong());
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
        if ((mode & Fallocate.PUNCH_HOLE) != 0) {
            if (!keepSize) {
                throw new FsException(Errno.EOPNOTSUPP, "fallocate PUNCH_HOLE needs KEEP_SIZE (mode " + Fallocate.describe(mode) + ")");
            }
            f.disk().bytes().unmap(offset, length);
        } else if ((mode & Fallocate.ZERO_RANGE) != 0) {
            if (!keepSize) {
                f.disk().bytes().growTo(offset + length);
            }
            f.disk().bytes().unmap(offset, length);
        } else if (!keepSize) {
            f.disk().bytes().growTo(offset + length);
        }
        f.touchContent(clock.getAsLong());
    }

    public void fsync(long fh) throws FsException, DiskException {
        file(fh).disk().flush();
    }

    // ------------------------------------------------------------------ namespace

    public void unlink(String path) throws FsException {
        DiskFile closeNow = null;
        synchronized (this) {
            checkWritableMount("unlink " + path);
            String name = nameOf(path);
            DiskFile f = files.remove(name);
            if (f == null) {
                throw new FsException(Errno.ENOENT, "no disk " + path);
            }
            if (f.unlink()) {
                closeNow = f;
            }
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    /** Renames a disk, replacing (and freeing) any disk already at {@code to}. */
    public void rename(String from, String to) throws FsException {
        DiskFile closeNow = null;
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
            DiskFile replaced = files.put(b, f);
            files.remove(a);
            if (replaced != null && replaced.unlink()) {
                closeNow = replaced;
            }
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    public void chmod(String path, int mode) throws FsException {
        checkWritableMount("chmod " + path);
        lookup(path).setMode(mode, clock.getAsLong());
    }

    public void chown(String path, int uid, int gid) throws FsException {
        checkWritableMount("chown " + path);
        lookup(path).setOwner(uid, gid, clock.getAsLong());
    }

    /** Sets times in nanoseconds; {@link #UTIME_NOW} and {@link #UTIME_OMIT} as in utimensat(2). */
    public void utimens(String path, long atimeNanos, long mtimeNanos) throws FsException {
        checkWritableMount("utimens " + path);
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

    // ------------------------------------------------------------------ inspection

    /** The names of the extended attributes every disk has. */
    public List<String> xattrNames(String path) throws FsException {
        lookup(path);
        return XATTRS;
    }

    /** The value of one {@code user.ramdiskfs.*} attribute; ENODATA for any other name. */
    public byte[] xattr(String path, String name) throws FsException {
        if (isRoot(path)) {
            throw new FsException(Errno.ENODATA, "the directory has no attribute " + name);
        }
        LayeredDisk d = lookup(path).disk();
        String value = switch (name) {
            case XATTR_LAYERS -> describeLayers(d);
            case XATTR_COMMITTED -> Long.toString(d.committedBytes());
            case XATTR_SECTOR_SIZE -> Integer.toString(d.sectorSize());
            default -> throw new FsException(Errno.ENODATA, "no attribute " + name + " on " + path);
        };
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static String describeLayers(LayeredDisk d) {
        StringBuilder sb = new StringBuilder();
        for (LayerIo l : d.layers()) {
            if (sb.length() > 0) {
                sb.append(" over ");
            }
            sb.append(l.kind());
            if (!"ram".equals(l.kind())) {
                sb.append(':').append(l.description());
            }
        }
        return sb.toString();
    }

    /** Closes every disk (unmount), including unlinked disks whose handles were never released. */
    public synchronized void closeAll() {
        for (DiskFile f : files.values()) {
            f.disk().close();
        }
        files.clear();
        for (DiskFile f : handles.openFiles()) {
            f.disk().close();
        }
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.stats.DiskIo;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One disk as a file: the disk and the attributes a file has (mode, owner, times, inode number).
 * Attributes are stored so that {@code touch}, {@code cp -p} and {@code rsync} behave; the size is
 * always the disk's. The disk is closed, and its memory returned, once the file is unlinked and
 * its last handle released.
 *
 * <p>As a {@link ServedDisk} its identity is its inode number, which a rename keeps; a door's
 * {@link #hold} counts as an open handle.
 */
public final class DiskFile implements ServedDisk {
    private final DiskDirectory directory;
    private final long inode;
    /** The name in the mount root (or, for a snapshot file, in its snapshot); set under the {@link DirectoryLock}. */
    private volatile String name;
    private final LayeredDisk disk;
    /** Follows the disk through renames: "I/O since mount" is the disk's, whatever its name. */
    private final DiskIo io = new DiskIo();
    private volatile int mode;
    private volatile int uid;
    private volatile int gid;
    private volatile long atimeNanos;
    private volatile long mtimeNanos;
    private volatile long ctimeNanos;
    /** Guarded by the {@link DirectoryLock}. */
    private int openHandles;
    /** Handles open for writing; guarded by the {@link DirectoryLock}. */
    private int writers;
    /** Guarded by the {@link DirectoryLock}. */
    private boolean unlinked;
    /** Handles the kernel serves by passthrough: it reads and writes the disk without us. */
    private final AtomicInteger passthroughOpens = new AtomicInteger();
    /** The backing file's mtime when {@link #mtimeNanos} was last set here. */
    private volatile long backingStamp = Long.MIN_VALUE;

    DiskFile(DiskDirectory directory, String name, long inode, LayeredDisk disk, int mode, int uid, int gid, long nowNanos) {
        this.directory = directory;
        this.name = name;
        this.inode = inode;
        this.disk = disk;
        this.mode = mode & 07777;
        this.uid = uid;
        this.gid = gid;
        this.atimeNanos = nowNanos;
        this.mtimeNanos = nowNanos;
        this.ctimeNanos = nowNanos;
    }

    @Override
    public LayeredDisk disk() {
        return disk;
    }

    /** Reads, writes and discards served since the mount. */
    @Override
    public DiskIo io() {
        return io;
    }

    public long inode() {
        return inode;
    }

    /** The inode number: never reused within a mount, kept across renames. */
    @Override
    public long id() {
        return inode;
    }

    @Override
    public String name() {
        return name;
    }

    void rename(String to) {
        this.name = to;
    }

    @Override
    public DiskHold hold(String holder, boolean writing) throws FsException {
        return directory.hold(this, holder, writing);
    }

    /** Permission bits (no file type bits). */
    @Override
    public int mode() {
        return mode;
    }

    @Override
    public int uid() {
        return uid;
    }

    @Override
    public int gid() {
        return gid;
    }

    public long atimeNanos() {
        return atimeNanos;
    }

    /** The last content change: a passthrough disk's writes reach only its backing file. */
    public long mtimeNanos() {
        BackingFile b = backing();
        if (b != null) {
            long m = b.modifiedNanos();
            if (m != backingStamp) {
                return m;
            }
        }
        return mtimeNanos;
    }

    public long ctimeNanos() {
        BackingFile b = backing();
        return b == null ? ctimeNanos : Math.max(ctimeNanos, mtimeNanos());
    }

    /**
     * The file holding this disk's bytes when the kernel may read and write it directly (FUSE
     * passthrough): the disk is that one layer. Null for every other disk.
     */
    public BackingFile backing() {
        List<LayerIo> layers = disk.layers();
        return layers.size() == 1 && layers.get(0) instanceof BackingFile b ? b : null;
    }

    /**
     * True while a handle of this disk is open in passthrough mode: the kernel then reads and
     * writes it without the process seeing the requests, so whatever must see every write (a
     * snapshot, rollback or clone) must refuse, with EBUSY, until it is closed.
     */
    public boolean isPassthroughOpen() {
        return passthroughOpens.get() > 0;
    }

    void passthroughOpened() {
        passthroughOpens.incrementAndGet();
    }

    void passthroughReleased() {
        passthroughOpens.decrementAndGet();
    }

    public long size() {
        return disk.sizeBytes();
    }

    /** 512-byte blocks of data memory held, what {@code du} shows. */
    public long blocks() {
        return disk.committedBytes() / 512;
    }

    void setMode(int mode, long now) {
        this.mode = mode & 07777;
        this.ctimeNanos = now;
    }

    void setOwner(int uid, int gid, long now) {
        if (uid != -1) {
            this.uid = uid;
        }
        if (gid != -1) {
            this.gid = gid;
        }
        this.ctimeNanos = now;
    }

    void setTimes(long atime, long mtime, long now) {
        this.atimeNanos = atime;
        this.mtimeNanos = mtime;
        this.ctimeNanos = now;
        stampBacking();
    }

    /** Content changed: a write, truncate or punch. */
    void touchContent(long now) {
        this.mtimeNanos = now;
        this.ctimeNanos = now;
        stampBacking();
    }

    /** The stored mtime holds until the backing file changes again (a passthrough write). */
    private void stampBacking() {
        BackingFile b = backing();
        if (b != null) {
            backingStamp = b.modifiedNanos();
        }
    }

    int openHandles() {
        return openHandles;
    }

    void opened(boolean writing) {
        openHandles++;
        if (writing) {
            writers++;
        }
    }

    /** Handles open for writing (a VM, a loop device): a rollback waits until there are none. */
    int writers() {
        return writers;
    }

    /** Returns true when this was the last handle of an unlinked file. */
    boolean released(boolean writing) {
        openHandles--;
        if (writing) {
            writers--;
        }
        return unlinked && openHandles == 0;
    }

    /** True once the file has left the namespace (guarded by the {@link DirectoryLock}). */
    boolean isUnlinked() {
        return unlinked;
    }

    /** Returns true when no handle is open, so the disk can be closed now. */
    boolean unlink() {
        unlinked = true;
        return openHandles == 0;
    }

    @Override
    public String toString() {
        return "disk " + name + " (inode " + inode + ")";
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.stats.DiskIo;

/**
 * One disk as a file: the disk and the attributes a file has (mode, owner, times, inode number).
 * Attributes are stored so that {@code touch}, {@code cp -p} and {@code rsync} behave; the size is
 * always the disk's. The disk is closed, and its memory returned, once the file is unlinked and
 * its last handle released.
 */
public final class DiskFile {
    private final long inode;
    private final LayeredDisk disk;
    /** Follows the disk through renames: "I/O since mount" is the disk's, whatever its name. */
    private final DiskIo io = new DiskIo();
    private volatile int mode;
    private volatile int uid;
    private volatile int gid;
    private volatile long atimeNanos;
    private volatile long mtimeNanos;
    private volatile long ctimeNanos;
    /** Guarded by the directory's monitor. */
    private int openHandles;
    /** Handles open for writing; guarded by the directory's monitor. */
    private int writers;
    /** Guarded by the directory's monitor. */
    private boolean unlinked;

    DiskFile(long inode, LayeredDisk disk, int mode, int uid, int gid, long nowNanos) {
        this.inode = inode;
        this.disk = disk;
        this.mode = mode & 07777;
        this.uid = uid;
        this.gid = gid;
        this.atimeNanos = nowNanos;
        this.mtimeNanos = nowNanos;
        this.ctimeNanos = nowNanos;
    }

    public LayeredDisk disk() {
        return disk;
    }

    /** Reads, writes and discards served since the mount. */
    public DiskIo io() {
        return io;
    }

    public long inode() {
        return inode;
    }

    /** Permission bits (no file type bits). */
    public int mode() {
        return mode;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    public long atimeNanos() {
        return atimeNanos;
    }

    public long mtimeNanos() {
        return mtimeNanos;
    }

    public long ctimeNanos() {
        return ctimeNanos;
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
    }

    /** Content changed: a write, truncate or punch. */
    void touchContent(long now) {
        this.mtimeNanos = now;
        this.ctimeNanos = now;
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

    /** Returns true when no handle is open, so the disk can be closed now. */
    boolean unlink() {
        unlinked = true;
        return openHandles == 0;
    }
}

package io.ramdiskfs.disks;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.stats.DiskIo;

/**
 * One disk of a mount as every door sees it: the FUSE file and a vhost-user-blk device of the same
 * disk share its chain, its counters and its owner, so a snapshot, rollback or status means the same
 * whichever door the data came through (SPEC section 9).
 */
public interface ServedDisk {
    /**
     * The disk's identity: fixed for its life, kept across renames, never reused within a mount.
     * Snapshots belong to it, not to the name.
     */
    long id();

    /** The disk's current name in the mount (it changes with {@code mv}). */
    String name();

    LayeredDisk disk();

    /** Reads, writes and discards served since the mount, through every door. */
    DiskIo io();

    /** Permission bits of the disk file (no file type bits). */
    int mode();

    int uid();

    int gid();

    /**
     * Holds the disk open until the hold is closed, as an open file handle does: a writing hold
     * makes rollback and commit refuse with {@code EBUSY}, and an unlinked disk is freed only when
     * its last hold (or handle) goes.
     *
     * @param holder  who holds it, for messages ("vhost-user connection on disk0.sock")
     * @param writing whether the holder may write
     * @throws FsException {@code EROFS} for a writing hold of a read-only disk, {@code ENOENT} when
     *     the disk has been removed
     */
    DiskHold hold(String holder, boolean writing) throws FsException;
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;

/**
 * Who may change what, beyond the mode bits the kernel checks itself ({@code default_permissions}):
 * a read-only mount, snapshots that never change, passthrough disks that have no layers, and the
 * acts the kernel cannot see for what they are (a clone by attribute creates a disk; a save or
 * commit writes files with the daemon's rights; a snapshot belongs to whoever made it).
 */
final class PermissionPolicy {
    private final boolean readOnly;
    /** Owns the root, {@code .snap} and its snapshots. */
    private final DaemonUser owner;

    PermissionPolicy(boolean readOnly, DaemonUser owner) {
        this.readOnly = readOnly;
        this.owner = owner;
    }

    boolean readOnly() {
        return readOnly;
    }

    DaemonUser owner() {
        return owner;
    }

    void checkWritableMount(String what) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, "the mount is read-only: cannot " + what);
        }
    }

    void checkNotSnapshot(String path) throws FsException {
        if (FsPath.parse(path).inSnapshots()) {
            throw new FsException(Errno.EROFS, path + " is a snapshot: snapshots never change");
        }
    }

    /**
     * A passthrough disk's writes go from the kernel to its backing file without passing
     * through ramdiskfs, so no request boundary can be drawn while it is open that way.
     */
    static void checkNotPassthrough(DiskFile f, String disk, String what) throws FsException {
        if (f.backing() == null) {
            return;
        }
        if (f.isPassthroughOpen()) {
            throw new FsException(Errno.EBUSY, "cannot " + what + " disk " + disk + ": it is open in passthrough mode, where the"
                    + " kernel writes it without asking ramdiskfs; close it first");
        }
        throw new FsException(Errno.EOPNOTSUPP, "cannot " + what + " disk " + disk + ": passthrough disks have no layers");
    }

    /**
     * A clone by attribute creates a disk in the root, but the kernel sees only a setxattr on the
     * source (for which it checks write permission on the source, under {@code default_permissions})
     * and never the create. So the check it makes before {@code create} or {@code cp} is made
     * here: write permission on the root, as {@link DiskDirectory#directory} reports it (owned by
     * {@link #owner}). Without it, the owner of one disk on an {@code allow_other} mount could add disks.
     */
    void checkMayCreateDisk(int uid, int gid, String name) throws FsException {
        int mode = 0755; // a read-only mount's 0555 refuses everyone: cloneTo says EROFS
        if (!readOnly && !owner.grantsWrite(uid, gid, mode)) {
            throw new FsException(Errno.EACCES, "user " + uid + " may not create disk " + name + " in the mount root");
        }
    }

    /**
     * A save or commit writes a file where the caller says (or beside a base), with the rights of
     * the user who runs ramdiskfs, often root: on an {@code --allow-other} mount any other user
     * could otherwise have root overwrite any file. Only that user and root may.
     */
    void checkMayWriteImages(int uid, String what) throws FsException {
        if (!owner.mayWriteImagesFor(uid)) {
            throw new FsException(Errno.EACCES, "user " + uid + " may not " + what + ": it writes files with the rights of"
                    + " the user who runs ramdiskfs (" + owner.uid() + "); only that user and root may");
        }
    }

    /**
     * Adding a disk to a snapshot someone else made is EACCES unless the caller is root or the
     * daemon's user: a disk in another user's group snapshot, held open, would make every
     * whole-mount rollback to it EBUSY.
     */
    void checkMayAddToSnapshot(int uid, SnapshotTable.Snapshot s, String disk) throws FsException {
        if (uid != 0 && uid != owner.uid() && uid != s.ownerUid) {
            throw new FsException(Errno.EACCES, "user " + uid + " may not add disk " + disk + " to snapshot " + s.name
                    + ": user " + s.ownerUid + " made it; take a snapshot of another name");
        }
    }
}

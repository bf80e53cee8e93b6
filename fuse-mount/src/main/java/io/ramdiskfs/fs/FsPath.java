package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import io.ramdiskfs.DiskNames;

/**
 * What a path of the mount names: the root, a disk, the snapshot directory {@code /.snap}, one
 * snapshot {@code /.snap/NAME}, or a disk in it {@code /.snap/NAME/DISK}. Anything else does not
 * exist (there are no other subdirectories).
 */
record FsPath(Kind kind, String snapshot, String disk) {
    enum Kind { ROOT, DISK, SNAPSHOTS, SNAPSHOT, SNAPSHOT_DISK }

    static FsPath parse(String path) throws FsException {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw new FsException(Errno.ENOENT, "path '" + path + "' is not absolute");
        }
        if (path.length() == 1) {
            return new FsPath(Kind.ROOT, null, null);
        }
        String rest = path.substring(1);
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        if (!first.equals(DiskNames.SNAPSHOT_DIRECTORY)) {
            if (slash >= 0) {
                throw new FsException(Errno.ENOENT, "no disk " + path + ": there are no subdirectories");
            }
            return new FsPath(Kind.DISK, null, first);
        }
        if (slash < 0 || slash == rest.length() - 1) {
            return new FsPath(Kind.SNAPSHOTS, null, null);
        }
        String inSnap = rest.substring(slash + 1);
        int second = inSnap.indexOf('/');
        if (second < 0) {
            return new FsPath(Kind.SNAPSHOT, inSnap, null);
        }
        String disk = inSnap.substring(second + 1);
        if (disk.isEmpty()) {
            return new FsPath(Kind.SNAPSHOT, inSnap.substring(0, second), null);
        }
        if (disk.indexOf('/') >= 0) {
            throw new FsException(Errno.ENOENT, "no " + path + ": a snapshot holds only disks");
        }
        return new FsPath(Kind.SNAPSHOT_DISK, inSnap.substring(0, second), disk);
    }

    boolean isDirectory() {
        return kind == Kind.ROOT || kind == Kind.SNAPSHOTS || kind == Kind.SNAPSHOT;
    }

    boolean inSnapshots() {
        return kind == Kind.SNAPSHOTS || kind == Kind.SNAPSHOT || kind == Kind.SNAPSHOT_DISK;
    }
}

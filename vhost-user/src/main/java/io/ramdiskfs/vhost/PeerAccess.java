package io.ramdiskfs.vhost;

import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.vhost.os.PeerCredentials;

/**
 * What a connecting process may do with a disk, by the disk file's owner and mode, as for an
 * open(2) of the file: the socket grants what the file grants. Only the peer's primary group is
 * known from SO_PEERCRED.
 */
public enum PeerAccess {
    NONE,
    READ,
    READ_WRITE;

    public static PeerAccess of(PeerCredentials peer, ServedDisk disk) {
        boolean write = !disk.disk().isReadOnly();
        if (peer.uid() == 0) {
            return write ? READ_WRITE : READ;
        }
        int mode = disk.mode();
        int bits = peer.uid() == disk.uid() ? (mode >> 6) & 7 : peer.gid() == disk.gid() ? (mode >> 3) & 7 : mode & 7;
        if ((bits & 4) == 0) {
            return NONE;
        }
        return write && (bits & 2) != 0 ? READ_WRITE : READ;
    }

    /**
     * The socket file's mode for a disk file's: connecting needs write permission on a socket, so
     * whoever may read the disk may connect (and is then told read-only or read-write).
     */
    public static int socketMode(int diskMode) {
        int m = diskMode & 0666;
        return m | ((m & 0444) >> 1);
    }
}

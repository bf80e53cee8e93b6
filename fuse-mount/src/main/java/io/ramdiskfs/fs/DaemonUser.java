package io.ramdiskfs.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The user and group the daemon runs as. They own the mount root, {@code .snap} and every
 * {@code .snap/NAME} (SPEC section 10): the user who started ramdiskfs may create disks, take and
 * delete snapshots in their own mount, as root may in root's. A root daemon is root:root, so a
 * root-run mount looks as it always did. Saves and commits write files with this user's rights,
 * so only this user and root may ask for them.
 */
public record DaemonUser(int uid, int gid) {
    public static final DaemonUser ROOT = new DaemonUser(0, 0);

    /** This process's user and group, from {@code /proc/self} (root if that cannot be read). */
    public static DaemonUser ofThisProcess() {
        try {
            Path self = Path.of("/proc/self");
            return new DaemonUser((Integer) Files.getAttribute(self, "unix:uid"), (Integer) Files.getAttribute(self, "unix:gid"));
        } catch (IOException | RuntimeException e) {
            return ROOT;
        }
    }

    public boolean isRoot() {
        return uid == 0;
    }

    /**
     * Whether a caller may write a directory of mode {@code mode} that this user owns, as the
     * kernel decides under {@code default_permissions} (root always may).
     */
    public boolean grantsWrite(int callerUid, int callerGid, int mode) {
        if (callerUid == 0) {
            return true;
        }
        if (callerUid == uid) {
            return (mode & 0200) != 0;
        }
        return callerGid == gid ? (mode & 0020) != 0 : (mode & 0002) != 0;
    }

    /** Only this user and root: a save or commit writes files with this user's rights. */
    public boolean mayWriteImagesFor(int callerUid) {
        return callerUid == 0 || callerUid == uid;
    }
}

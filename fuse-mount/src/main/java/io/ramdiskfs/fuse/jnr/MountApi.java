package io.ramdiskfs.fuse.jnr;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * The new mount API (glibc 2.36+, Linux 5.2+), apart from {@link Libc} so that an older glibc
 * fails only here, when a passthrough pool is asked for.
 */
public interface MountApi {
    int FSOPEN_CLOEXEC = 1;
    int FSMOUNT_CLOEXEC = 1;
    int FSCONFIG_SET_FLAG = 0;
    int FSCONFIG_SET_STRING = 1;
    int FSCONFIG_CMD_CREATE = 6;
    int FSCONFIG_CMD_RECONFIGURE = 7;
    int FSPICK_CLOEXEC = 1;
    int FSPICK_EMPTY_PATH = 8;

    @SaveError
    int fsopen(String fsName, int flags);

    @SaveError
    int fsconfig(int fd, int cmd, String key, String value, int aux);

    @SaveError
    int fsmount(int fd, int flags, int attrFlags);

    /** A configuration context for the mount at {@code dfd} (with {@link #FSPICK_EMPTY_PATH} and ""), to reconfigure it. */
    @SaveError
    int fspick(int dfd, String path, int flags);

    static MountApi load() {
        return LibraryLoader.create(MountApi.class).failImmediately().load("c");
    }
}

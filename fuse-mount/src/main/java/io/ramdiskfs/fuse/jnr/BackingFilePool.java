package io.ramdiskfs.fuse.jnr;

import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where passthrough disks keep their bytes: unnamed files ({@code O_TMPFILE}) in a private tmpfs
 * instance whose {@code size=} is the memory budget. The instance is mounted nowhere (the new
 * mount API's {@code fsopen}/{@code fsmount} give a detached mount known only by its descriptor),
 * so nothing outside the process can reach the files, and it goes away with the last descriptor.
 *
 * <p>Why tmpfs and not {@code memfd_create}: a memfd has no size limit of its own, and the kernel
 * writes a passthrough disk without asking the process, so only the kernel can refuse a write
 * at the budget. A tmpfs instance does: a write past its {@code size=} gets {@code ENOSPC},
 * from passthrough and from the process alike, and {@code statfs} of it is exact. Needs
 * CAP_SYS_ADMIN, as passthrough itself does.
 */
public final class BackingFilePool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackingFilePool.class);

    private final Libc libc = Libc.get();
    private final int mountFd;
    private final long limit;

    private BackingFilePool(int mountFd, long limit) {
        this.mountFd = mountFd;
        this.limit = limit;
    }

    /**
     * A pool of {@code limitBytes}, or null (with the reason logged once) when this process
     * cannot make one: no CAP_SYS_ADMIN, or a kernel without the new mount API.
     */
    public static BackingFilePool create(long limitBytes) {
        MountApi api;
        try {
            api = MountApi.load();
        } catch (LinkageError | RuntimeException e) {
            log.info("passthrough disks are served as plain RAM disks: this C library lacks fsopen ({})", e.getMessage());
            return null;
        }
        Runtime rt = Runtime.getSystemRuntime();
        // Whole pages; at least one, as size=0 would mean "no limit" to tmpfs.
        long bytes = Math.max(1, limitBytes / 4096) * 4096;
        int fsFd = api.fsopen("tmpfs", MountApi.FSOPEN_CLOEXEC);
        if (fsFd < 0) {
            log.info("passthrough disks are served as plain RAM disks: fsopen(tmpfs) failed with errno {}", LastError.getLastError(rt));
            return null;
        }
        try {
            if (api.fsconfig(fsFd, MountApi.FSCONFIG_SET_STRING, "size", Long.toString(bytes), 0) < 0
                    || api.fsconfig(fsFd, MountApi.FSCONFIG_SET_STRING, "mode", "0700", 0) < 0
                    || api.fsconfig(fsFd, MountApi.FSCONFIG_CMD_CREATE, null, null, 0) < 0) {
                log.info("passthrough disks are served as plain RAM disks: configuring a tmpfs failed with errno {}",
                        LastError.getLastError(rt));
                return null;
            }
            int mnt = api.fsmount(fsFd, MountApi.FSMOUNT_CLOEXEC, 0);
            if (mnt < 0) {
                log.info("passthrough disks are served as plain RAM disks: fsmount(tmpfs) failed with errno {}", LastError.getLastError(rt));
                return null;
            }
            return new BackingFilePool(mnt, bytes);
        } finally {
            Libc.get().close(fsFd);
        }
    }

    /** The pool's size: the most all its files together may hold. */
    public long limit() {
        return limit;
    }

    /**
     * A new disk of {@code sizeBytes} (a sparse file: it holds no memory yet).
     *
     * @throws IllegalArgumentException when the file cannot be made
     */
    public BackingFileLayer newDisk(long sizeBytes, int sectorSize, boolean readOnly) {
        int fd = libc.openat(mountFd, ".", Libc.O_TMPFILE | Libc.O_RDWR | Libc.O_CLOEXEC, 0600);
        if (fd < 0) {
            throw new IllegalArgumentException("cannot create a passthrough file (errno "
                    + LastError.getLastError(Runtime.getSystemRuntime()) + ")");
        }
        if (libc.ftruncate(fd, sizeBytes) != 0) {
            int errno = LastError.getLastError(Runtime.getSystemRuntime());
            libc.close(fd);
            throw new IllegalArgumentException("cannot size a passthrough file to " + sizeBytes + " bytes (errno " + errno + ")");
        }
        return new BackingFileLayer(fd, sectorSize, readOnly);
    }

    /** Lets go of the instance; its memory is freed once every file in it is closed too. */
    @Override
    public void close() {
        libc.close(mountFd);
    }
}

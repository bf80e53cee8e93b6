package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
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
 *
 * <p>The pool is the {@link MemoryBudget.Neighbour} of the RAM layers' budget: its {@code size=}
 * is the part of the one memory limit the budget lends it, changed by reconfiguring the instance
 * ({@code fspick}, {@code fsconfig size=}, {@code FSCONFIG_CMD_RECONFIGURE}); the kernel refuses
 * a size below what the files hold, so a loan never shrinks under data.
 */
public final class BackingFilePool implements AutoCloseable, MemoryBudget.Neighbour {
    private static final Logger log = LoggerFactory.getLogger(BackingFilePool.class);

    private final Libc libc = Libc.get();
    private final MountApi api;
    private final int mountFd;
    private volatile long limit;

    private BackingFilePool(MountApi api, int mountFd, long limit) {
        this.api = api;
        this.mountFd = mountFd;
        this.limit = limit;
    }

    /**
     * A pool of {@code limitBytes}, or null (with the reason logged once) when this process
     * cannot make one: no CAP_SYS_ADMIN, or a kernel without the new mount API.
     */
    public static BackingFilePool create(long limitBytes, boolean hugePages) {
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
                    || !hugePages(api, fsFd, hugePages)
                    || !extraOptions(api, fsFd)
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
            return new BackingFilePool(api, mnt, bytes);
        } finally {
            Libc.get().close(fsFd);
        }
    }

    /**
     * Asks for 2 MiB pages when {@code wanted}; a kernel without them (no transparent huge pages)
     * is told in one line and the pool goes on with 4 KiB pages. Why optional: 2 MiB folios
     * spare a written disk most of its page-cache lookups (random 4 KiB writes ~1.3x, 1 MiB I/O
     * 2-3x), but Linux 6.18 gives a 4 KiB write into an untouched 2 MiB a whole 2 MiB folio
     * (docs/performance.md, section 10). Always true: nothing here stops the pool.
     */
    private static boolean hugePages(MountApi api, int fsFd, boolean wanted) {
        if (wanted && api.fsconfig(fsFd, MountApi.FSCONFIG_SET_STRING, "huge", "within_size", 0) < 0) {
            log.info("--huge-pages: this kernel's tmpfs refuses huge=within_size (errno {}); passthrough disks use 4 KiB pages",
                    LastError.getLastError(Runtime.getSystemRuntime()));
        }
        return true;
    }

    /**
     * Further tmpfs options for measurement ({@code -Dramdiskfs.backingTmpfs=huge=within_size,...}),
     * so that a benchmark can try mount options of the private tmpfs without a rebuild.
     */
    private static boolean extraOptions(MountApi api, int fsFd) {
        String extra = System.getProperty("ramdiskfs.backingTmpfs", "");
        for (String o : extra.split(",")) {
            if (o.isBlank()) {
                continue;
            }
            int eq = o.indexOf('=');
            int rc = eq < 0
                    ? api.fsconfig(fsFd, MountApi.FSCONFIG_SET_FLAG, o, null, 0)
                    : api.fsconfig(fsFd, MountApi.FSCONFIG_SET_STRING, o.substring(0, eq), o.substring(eq + 1), 0);
            if (rc < 0) {
                log.warn("tmpfs option {} of -Dramdiskfs.backingTmpfs refused", o);
                return false;
            }
        }
        return true;
    }

    /** The pool's size: the most all its files together may hold. */
    public long limit() {
        return limit;
    }

    /** The memory all its files hold now (those still open after an unlink included): tmpfs blocks in use. */
    @Override
    public long held() {
        long buf = NativeMemory.allocate(Libc.STATFS_BYTES);
        try {
            if (libc.fstatfs(mountFd, buf) != 0) {
                return limit; // unknown: assume full, so that nothing is taken back from it
            }
            long blocks = NativeMemory.getLong(buf + Libc.STATFS_BLOCKS_AT);
            long free = NativeMemory.getLong(buf + Libc.STATFS_BFREE_AT);
            return (blocks - free) * NativeMemory.getLong(buf + Libc.STATFS_BSIZE_AT);
        } finally {
            NativeMemory.free(buf);
        }
    }

    /**
     * Sets the instance's {@code size=} to {@code bytes}; false when the kernel refuses (the files
     * hold more than that: tmpfs answers EINVAL) or the instance cannot be reconfigured.
     */
    @Override
    public boolean limitTo(long bytes) {
        // size=0 would mean "no limit" to tmpfs.
        long size = Math.max(1, bytes / 4096) * 4096;
        int fc = api.fspick(mountFd, "", MountApi.FSPICK_EMPTY_PATH | MountApi.FSPICK_CLOEXEC);
        if (fc < 0) {
            log.warn("cannot reconfigure the passthrough tmpfs (fspick errno {}): its size stays {}",
                    LastError.getLastError(Runtime.getSystemRuntime()), limit);
            return false;
        }
        try {
            if (api.fsconfig(fc, MountApi.FSCONFIG_SET_STRING, "size", Long.toString(size), 0) < 0
                    || api.fsconfig(fc, MountApi.FSCONFIG_CMD_RECONFIGURE, null, null, 0) < 0) {
                log.debug("passthrough tmpfs size {} refused (errno {})", size, LastError.getLastError(Runtime.getSystemRuntime()));
                return false;
            }
            limit = size;
            return true;
        } finally {
            libc.close(fc);
        }
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

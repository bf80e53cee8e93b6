package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fs.BackingFile;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.fs.DiskFile;
import io.ramdiskfs.fuse.jnr.FuseKernel.BackingMap;
import java.util.IdentityHashMap;
import java.util.Map;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FUSE passthrough for the mount's {@link BackingFile} disks: registers a disk's file with the
 * kernel ({@code FUSE_DEV_IOC_BACKING_OPEN}) on its first open and hands out the backing id for
 * its open replies ({@link OpenReplyChannel}); from then on the kernel reads and writes the file
 * itself and those requests never reach the process.
 *
 * <p>All or nothing per disk: the kernel fails (EIO) an open of an inode that is open in the
 * other mode, so once a disk's file is registered every open of it is a passthrough open, and if
 * registering fails (no CAP_SYS_ADMIN) none is and the disk stays on the FUSE path. Either
 * failure to get passthrough (the kernel did not grant it in INIT, the ioctl is refused) is logged
 * once.
 */
final class Passthrough {
    private static final Logger log = LoggerFactory.getLogger(Passthrough.class);

    private final DiskDirectory dir;
    private final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    private volatile int fd = -1;
    private volatile boolean granted;
    /** Guarded by this. */
    private final Map<BackingFile, Integer> ids = new IdentityHashMap<>();
    /** Guarded by this: BACKING_OPEN failed once, so it is not tried again. */
    private boolean refused;

    Passthrough(DiskDirectory dir) {
        this.dir = dir;
    }

    /** The {@code /dev/fuse} descriptor the ioctls go to; set before INIT is answered. */
    void attach(int devFuse) {
        this.fd = devFuse;
    }

    /** The connection is going away: the kernel drops every backing file with it, and the descriptor closes. */
    void detach() {
        this.fd = -1;
    }

    /** The kernel accepted FUSE_PASSTHROUGH in the INIT reply. */
    void granted() {
        granted = true;
        log.debug("the kernel granted FUSE passthrough");
    }

    /** INIT did not grant it (an older kernel, or one built without it): disks stay on the FUSE path. */
    void notOffered() {
        log.info("FUSE passthrough is not available from this kernel (needs Linux 6.9+ with CONFIG_FUSE_PASSTHROUGH); "
                + "passthrough disks are served through the FUSE path");
    }

    boolean isGranted() {
        return granted;
    }

    /**
     * The backing id for the open handle {@code fh} (a successful OPEN or CREATE reply is on its
     * way), registering the disk's file on its first open; 0 when the open is not a passthrough
     * one. A passthrough open is recorded with the directory until the handle is released.
     */
    int backingIdFor(long fh) {
        if (!granted) {
            return 0;
        }
        BackingFile b;
        try {
            DiskFile f = dir.file(fh);
            b = f.backing();
        } catch (Exception e) {
            return 0;
        }
        if (b == null) {
            return 0;
        }
        int id = idOf(b);
        if (id > 0) {
            try {
                dir.markPassthrough(fh);
            } catch (Exception e) {
                return 0; // released meanwhile: nothing is opened
            }
        }
        return id;
    }

    private synchronized int idOf(BackingFile b) {
        Integer known = ids.get(b);
        if (known != null) {
            return known;
        }
        if (refused) {
            return 0;
        }
        long map = NativeMemory.allocate(BackingMap.SIZE);
        try {
            NativeMemory.zero(null, map, BackingMap.SIZE);
            NativeMemory.putInt(map + BackingMap.FD, b.descriptor());
            int id = libc.ioctl(fd, FuseKernel.FUSE_DEV_IOC_BACKING_OPEN, map);
            if (id <= 0) {
                refused = true;
                log.info("FUSE passthrough refused by the kernel (BACKING_OPEN errno {}; it needs CAP_SYS_ADMIN); "
                        + "passthrough disks are served through the FUSE path", LastError.getLastError(runtime));
                return 0;
            }
            ids.put(b, id);
            b.onClose(() -> release(b, id));
            return id;
        } finally {
            NativeMemory.free(map);
        }
    }

    /** Tells the kernel to drop its reference to a closed disk's file, so its memory is freed. */
    private void release(BackingFile b, int id) {
        synchronized (this) {
            ids.remove(b);
        }
        int devFuse = fd;
        if (devFuse < 0) {
            return;
        }
        long arg = NativeMemory.allocate(4);
        try {
            NativeMemory.putInt(arg, id);
            // Fails harmlessly once the connection is gone: the kernel dropped every id then.
            libc.ioctl(devFuse, FuseKernel.FUSE_DEV_IOC_BACKING_CLOSE, arg);
        } finally {
            NativeMemory.free(arg);
        }
    }
}

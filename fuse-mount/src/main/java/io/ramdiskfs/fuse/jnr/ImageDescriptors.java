package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.image.FileLayer;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only descriptors of the image files under memdiff disks, so libfuse can splice a read
 * that falls through to an image straight from the file into the kernel. A {@link FileLayer}
 * reads through a Java channel, whose descriptor number Java does not expose; this opens the
 * same path once more, on first use, and closes it at unmount. (An image replaced on disk while
 * mounted would be seen by this descriptor and not by the layer: images must not change under a
 * mount in any case.)
 */
final class ImageDescriptors implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageDescriptors.class);

    private final Libc libc = Libc.get();
    private final ConcurrentHashMap<FileLayer, Integer> fds = new ConcurrentHashMap<>();
    private boolean closed;

    /** The descriptor for {@code image}, or -1 when it cannot be opened (the read then copies). */
    int of(FileLayer image) {
        Integer fd = fds.get(image);
        return fd != null ? fd : open(image);
    }

    private synchronized int open(FileLayer image) {
        if (closed) {
            return -1;
        }
        return fds.computeIfAbsent(image, i -> {
            int fd = libc.open(i.path().toString(), Libc.O_RDONLY_CLOEXEC);
            if (fd < 0) {
                log.warn("cannot open image {} for direct reads (errno {}); its reads are copied instead", i.path(),
                        LastError.getLastError(Runtime.getSystemRuntime()));
            }
            return fd;
        });
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (int fd : fds.values()) {
            if (fd >= 0) {
                libc.close(fd);
            }
        }
        fds.clear();
    }
}

package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.image.FileLayer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only descriptors of the image files under memdiff disks, so libfuse can splice a read
 * that falls through to an image straight from the file into the kernel. A {@link FileLayer}
 * reads through a Java channel, whose descriptor number Java does not expose; this opens the
 * same path once more, on first use.
 *
 * <p>A base replaced by a commit is never handed out again ({@code pathIsCurrent}), so its
 * descriptor is retired as soon as the next image is opened, rather than pinning the replaced
 * file's inode (and its disk space) until unmount. A descriptor lent to a request stays open
 * until that request is done ({@link #requestDone}, called by the FUSE loop after libfuse has
 * spliced the reply): libfuse reads it after {@code read_buf} returns, and closing it under the
 * splice would let the number be reused by another file and read from that one.
 */
final class ImageDescriptors implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageDescriptors.class);

    /** One open descriptor; {@code users} counts the table's own hold and each lending request. */
    private static final class Entry {
        final int fd;
        final AtomicInteger users = new AtomicInteger(1);

        Entry(int fd) {
            this.fd = fd;
        }
    }

    private final Libc libc = Libc.get();
    private final ConcurrentHashMap<FileLayer, Entry> fds = new ConcurrentHashMap<>();
    /** The entry this thread's current request borrowed, released by {@link #requestDone}. */
    private final ThreadLocal<Entry> lent = new ThreadLocal<>();
    private boolean closed;

    /**
     * The descriptor for {@code image}, held open until this thread's {@link #requestDone}; or
     * -1 when it cannot be opened (the read then copies).
     */
    int lend(FileLayer image) {
        Entry e = fds.get(image);
        if (e == null) {
            e = open(image);
        }
        if (e == null || e.fd < 0) {
            return -1;
        }
        for (int u = e.users.get(); ; u = e.users.get()) {
            if (u == 0) {
                return -1; // retired meanwhile: copy this one read
            }
            if (e.users.compareAndSet(u, u + 1)) {
                break;
            }
        }
        requestDone(); // a request borrows one descriptor; a stale loan (a thread outside the loop) ends here
        lent.set(e);
        return e.fd;
    }

    /** Ends this thread's loan, if any; the FUSE loop calls it after every request libfuse processed. */
    void requestDone() {
        Entry e = lent.get();
        if (e != null) {
            lent.set(null);
            release(e);
        }
    }

    private void release(Entry e) {
        if (e.users.decrementAndGet() == 0 && e.fd >= 0) {
            libc.close(e.fd);
        }
    }

    private synchronized Entry open(FileLayer image) {
        if (closed) {
            return null;
        }
        Entry e = fds.get(image);
        if (e != null) {
            return e;
        }
        retireReplaced();
        int fd = libc.open(image.path().toString(), Libc.O_RDONLY_CLOEXEC);
        if (fd < 0) {
            log.warn("cannot open image {} for direct reads (errno {}); its reads are copied instead", image.path(),
                    LastError.getLastError(Runtime.getSystemRuntime()));
            e = new Entry(-1); // not tried again
            fds.put(image, e);
            return e;
        }
        e = new Entry(fd);
        fds.put(image, e);
        return e;
    }

    /**
     * Drops the table's hold on descriptors of bases a commit replaced and of images no disk
     * reads any more; each closes once its last loan ends. Run when an image is first opened
     * (a commit's new base is, at its first spliced read), not per read.
     */
    private void retireReplaced() {
        for (var it = fds.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (!entry.getKey().pathIsCurrent() || entry.getKey().isClosed()) {
                it.remove();
                release(entry.getValue());
            }
        }
    }

    /** Descriptors held now (for tests). */
    int open() {
        int n = 0;
        for (Entry e : fds.values()) {
            n += e.fd >= 0 ? 1 : 0;
        }
        return n;
    }

    /** Closes every descriptor; call once no request can arrive any more. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Entry e : fds.values()) {
            release(e);
        }
        fds.clear();
    }
}

package io.ramdiskfs.vhost.os;

import io.ramdiskfs.disk.NativeMemory;

/**
 * eventfd counters: vhost-user's kick and call notifications, and the private wake-ups that stop
 * a blocked thread. A signal adds 1; a drain reads and resets the count.
 */
public final class EventFd {
    private EventFd() {}

    /** A new close-on-exec eventfd at 0. */
    public static int create() {
        int fd = Os.libc().eventfd(0, LinuxAbi.EFD_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("eventfd failed: errno " + Os.errno());
        }
        return fd;
    }

    /**
     * Adds 1 to the counter, with {@code scratch} an 8-byte native buffer of the caller's. A
     * peer's descriptor may be gone (EBADF) or full (EAGAIN): a notification lost there is the
     * peer's doing, so the result is only reported.
     *
     * @return whether the write went through
     */
    public static boolean signal(int fd, long scratch) {
        NativeMemory.putLong(scratch, 1);
        return Os.libc().write(fd, scratch, 8) == 8;
    }

    /** {@link #signal} with a buffer of its own, for the rare paths (wake-ups, error reports). */
    public static boolean signal(int fd) {
        long b = NativeMemory.allocate(8);
        try {
            return signal(fd, b);
        } finally {
            NativeMemory.free(b);
        }
    }

    /** Reads and resets the counter (blocks while it is 0 on a blocking descriptor). */
    public static long drain(int fd, long scratch) {
        long n = Os.libc().read(fd, scratch, 8);
        return n == 8 ? NativeMemory.getLong(scratch) : -1;
    }
}

package io.ramdiskfs.vhost.os;

import io.ramdiskfs.disk.NativeMemory;

/**
 * Blocks on two descriptors: the one that carries work and a private wake-up eventfd. This is the
 * only way a door thread waits, so no thread spins and every one can be stopped.
 */
public final class Poll {
    private Poll() {}

    /**
     * Waits until {@code work} or {@code wake} is readable (or in error).
     *
     * @param pollFds 16 bytes of native memory, the caller's
     * @return 0 when {@code work} is ready (or hung up: the next read says so), 1 when
     *     {@code wake} is, -1 when poll itself failed for another reason than a signal
     */
    public static int either(long pollFds, int work, int wake) {
        long a = pollFds;
        long b = pollFds + LinuxAbi.POLLFD_BYTES;
        while (true) {
            NativeMemory.putInt(a + LinuxAbi.POLL_FD_AT, work);
            NativeMemory.putShort(a + LinuxAbi.POLL_EVENTS_AT, LinuxAbi.POLLIN);
            NativeMemory.putShort(a + LinuxAbi.POLL_REVENTS_AT, (short) 0);
            NativeMemory.putInt(b + LinuxAbi.POLL_FD_AT, wake);
            NativeMemory.putShort(b + LinuxAbi.POLL_EVENTS_AT, LinuxAbi.POLLIN);
            NativeMemory.putShort(b + LinuxAbi.POLL_REVENTS_AT, (short) 0);
            int n = Os.libc().poll(pollFds, 2, -1);
            if (n < 0) {
                if (Os.errno() == LinuxAbi.EINTR) {
                    continue;
                }
                return -1;
            }
            if (NativeMemory.getShort(b + LinuxAbi.POLL_REVENTS_AT) != 0) {
                return 1;
            }
            if (NativeMemory.getShort(a + LinuxAbi.POLL_REVENTS_AT) != 0) {
                return 0;
            }
        }
    }
}

package io.ramdiskfs.vhost.os;

import io.ramdiskfs.disk.NativeMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A listening AF_UNIX stream socket bound to a path. Java's own Unix-domain channels (JEP 380) carry
 * no file descriptors, and vhost-user hands over guest memory as SCM_RIGHTS, so the socket is
 * libc's. {@link #accept} blocks until a peer connects or {@link #close} wakes it.
 */
public final class UnixListener implements AutoCloseable {
    private final int fd;
    private final int wake;
    private final long pollFds;
    private volatile boolean closed;

    private UnixListener(int fd, int wake) {
        this.fd = fd;
        this.wake = wake;
        this.pollFds = NativeMemory.allocate(2 * LinuxAbi.POLLFD_BYTES);
    }

    /** Binds a new socket at {@code path} (a stale socket file there is replaced) and listens. */
    public static UnixListener bind(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > LinuxAbi.SUN_PATH_MAX) {
            throw new IOException("socket path " + path + " is " + name.length + " bytes, longer than the "
                    + LinuxAbi.SUN_PATH_MAX + " a Unix socket address holds");
        }
        byte[] address = new byte[LinuxAbi.SOCKADDR_UN_BYTES];
        address[0] = (byte) LinuxAbi.AF_UNIX;
        System.arraycopy(name, 0, address, LinuxAbi.SUN_PATH_AT, name.length);
        LibC c = Os.libc();
        int fd = c.socket(LinuxAbi.AF_UNIX, LinuxAbi.SOCK_STREAM | LinuxAbi.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Os.failure("socket(AF_UNIX)");
        }
        c.unlink(path.toString());
        if (c.bind(fd, address, LinuxAbi.SUN_PATH_AT + name.length + 1) != 0) {
            IOException e = Os.failure("bind(" + path + ")");
            c.close(fd);
            throw e;
        }
        if (c.listen(fd, 4) != 0) {
            IOException e = Os.failure("listen(" + path + ")");
            c.close(fd);
            throw e;
        }
        int wake = EventFd.create();
        return new UnixListener(fd, wake);
    }

    /**
     * The next connection's descriptor (close-on-exec), or -1 once {@link #close} was called.
     *
     * @throws IOException when accept fails for another reason than a signal
     */
    public int accept() throws IOException {
        while (!closed) {
            int ready = Poll.either(pollFds, fd, wake);
            if (ready != 0) {
                return -1;
            }
            int peer = Os.libc().accept4(fd, 0, 0, LinuxAbi.SOCK_CLOEXEC);
            if (peer >= 0) {
                return peer;
            }
            int errno = Os.errno();
            if (errno != LinuxAbi.EINTR && errno != LinuxAbi.EAGAIN) {
                throw new IOException("accept failed: errno " + errno);
            }
        }
        return -1;
    }

    /** The peer's process credentials at connect time. */
    public static PeerCredentials peerOf(int connection) throws IOException {
        long buf = NativeMemory.allocate(LinuxAbi.UCRED_BYTES + 4);
        try {
            NativeMemory.putInt(buf + LinuxAbi.UCRED_BYTES, LinuxAbi.UCRED_BYTES);
            if (Os.libc().getsockopt(connection, LinuxAbi.SOL_SOCKET, LinuxAbi.SO_PEERCRED, buf,
                    buf + LinuxAbi.UCRED_BYTES) != 0) {
                throw Os.failure("getsockopt(SO_PEERCRED)");
            }
            return new PeerCredentials(NativeMemory.getInt(buf), NativeMemory.getInt(buf + 4), NativeMemory.getInt(buf + 8));
        } finally {
            NativeMemory.free(buf);
        }
    }

    /**
     * Wakes a blocked {@link #accept} and closes the socket. The accepting thread must have left
     * {@link #accept} before the memory it polls with is freed, so the caller joins it first and
     * then calls {@link #release}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        EventFd.signal(wake);
    }

    /** Frees the descriptors and buffers, after the accepting thread has stopped. */
    public void release() {
        Os.closeQuietly(fd);
        Os.closeQuietly(wake);
        NativeMemory.free(pollFds);
    }
}

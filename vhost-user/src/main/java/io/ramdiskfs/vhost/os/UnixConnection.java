package io.ramdiskfs.vhost.os;

import io.ramdiskfs.disk.NativeMemory;
import java.io.EOFException;
import java.io.IOException;

/**
 * One accepted stream connection that carries file descriptors as SCM_RIGHTS. Its msghdr, iovec
 * and control buffers are allocated once, so receiving a message allocates nothing.
 */
public final class UnixConnection implements AutoCloseable {
    /** vhost-user sends at most 8 descriptors with a message (the memory regions of a table). */
    public static final int MAX_FDS = 8;
    private static final int CONTROL_BYTES = 256;

    private final int fd;
    private final long msghdr;
    private final long iovec;
    private final long control;
    private final int[] fds = new int[MAX_FDS];
    private int fdCount;
    private boolean closed;

    public UnixConnection(int fd) {
        this.fd = fd;
        this.msghdr = NativeMemory.allocate(LinuxAbi.MSGHDR_BYTES + LinuxAbi.IOVEC_BYTES + CONTROL_BYTES);
        this.iovec = msghdr + LinuxAbi.MSGHDR_BYTES;
        this.control = iovec + LinuxAbi.IOVEC_BYTES;
    }

    public int fd() {
        return fd;
    }

    /**
     * Reads exactly {@code length} bytes into {@code buffer}, taking the descriptors that come with
     * the first chunk ({@link #fdCount}, {@link #takeFd}).
     *
     * @throws EOFException when the peer closed the connection before the first byte
     * @throws IOException  on a short message, truncated descriptors or a socket error
     */
    public void receive(long buffer, int length) throws IOException {
        closeUntakenFds();
        NativeMemory.zero(null, msghdr, LinuxAbi.MSGHDR_BYTES);
        NativeMemory.putLong(iovec + LinuxAbi.IOV_BASE_AT, buffer);
        NativeMemory.putLong(iovec + LinuxAbi.IOV_LEN_AT, length);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOV_AT, iovec);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOVLEN_AT, 1);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_CONTROL_AT, control);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_CONTROLLEN_AT, CONTROL_BYTES);
        long n;
        do {
            n = Os.libc().recvmsg(fd, msghdr, LinuxAbi.MSG_CMSG_CLOEXEC);
        } while (n < 0 && Os.errno() == LinuxAbi.EINTR);
        if (n < 0) {
            throw Os.failure("recvmsg");
        }
        if (n == 0) {
            throw new EOFException("the peer closed the connection");
        }
        collectFds();
        if ((NativeMemory.getInt(msghdr + LinuxAbi.MSG_FLAGS_AT) & LinuxAbi.MSG_CTRUNC) != 0) {
            closeUntakenFds();
            throw new IOException("the peer sent more descriptors than the " + MAX_FDS + " a message may carry");
        }
        if (n < length) {
            readFully(buffer + n, (int) (length - n));
        }
    }

    /** Reads exactly {@code length} bytes (a payload; descriptors come only with a header). */
    public void readFully(long buffer, int length) throws IOException {
        int done = 0;
        while (done < length) {
            long n = Os.libc().read(fd, buffer + done, length - done);
            if (n < 0 && Os.errno() == LinuxAbi.EINTR) {
                continue;
            }
            if (n <= 0) {
                throw n == 0 ? new EOFException("the peer closed the connection mid-message") : Os.failure("read");
            }
            done += (int) n;
        }
    }

    /** Writes {@code length} bytes; a peer gone is an IOException (no SIGPIPE). */
    public void send(long buffer, int length) throws IOException {
        NativeMemory.zero(null, msghdr, LinuxAbi.MSGHDR_BYTES);
        int done = 0;
        while (done < length) {
            NativeMemory.putLong(iovec + LinuxAbi.IOV_BASE_AT, buffer + done);
            NativeMemory.putLong(iovec + LinuxAbi.IOV_LEN_AT, length - done);
            NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOV_AT, iovec);
            NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOVLEN_AT, 1);
            long n = Os.libc().sendmsg(fd, msghdr, LinuxAbi.MSG_NOSIGNAL);
            if (n < 0 && Os.errno() == LinuxAbi.EINTR) {
                continue;
            }
            if (n <= 0) {
                throw Os.failure("sendmsg");
            }
            done += (int) n;
        }
    }

    /**
     * Sends {@code length} bytes in one non-blocking call, or nothing: for a message to a peer
     * that may not be reading (a front end's backend channel), which must never stall the
     * sender. False when not all of it went (the peer's buffer is full, or it is gone).
     */
    public synchronized boolean trySend(long buffer, int length) {
        if (closed) {
            return false;
        }
        NativeMemory.zero(null, msghdr, LinuxAbi.MSGHDR_BYTES);
        NativeMemory.putLong(iovec + LinuxAbi.IOV_BASE_AT, buffer);
        NativeMemory.putLong(iovec + LinuxAbi.IOV_LEN_AT, length);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOV_AT, iovec);
        NativeMemory.putLong(msghdr + LinuxAbi.MSG_IOVLEN_AT, 1);
        return Os.libc().sendmsg(fd, msghdr, LinuxAbi.MSG_NOSIGNAL | LinuxAbi.MSG_DONTWAIT) == length;
    }

    /** Descriptors that came with the last {@link #receive} and were not taken yet. */
    public int fdCount() {
        return fdCount;
    }

    /**
     * Takes descriptor {@code i} of the last message: the caller owns it now. Descriptors not
     * taken are closed at the next receive or at close, so none leaks.
     */
    public int takeFd(int i) {
        int f = fds[i];
        fds[i] = -1;
        return f;
    }

    private void collectFds() {
        long controlLen = NativeMemory.getLong(msghdr + LinuxAbi.MSG_CONTROLLEN_AT);
        long at = control;
        long end = control + Math.min(controlLen, CONTROL_BYTES);
        while (at + LinuxAbi.CMSG_HEADER_BYTES <= end) {
            long len = NativeMemory.getLong(at + LinuxAbi.CMSG_LEN_AT);
            if (len < LinuxAbi.CMSG_HEADER_BYTES || at + len > end) {
                break;
            }
            if (NativeMemory.getInt(at + LinuxAbi.CMSG_LEVEL_AT) == LinuxAbi.SOL_SOCKET
                    && NativeMemory.getInt(at + LinuxAbi.CMSG_TYPE_AT) == LinuxAbi.SCM_RIGHTS) {
                int count = (int) ((len - LinuxAbi.CMSG_HEADER_BYTES) / 4);
                for (int i = 0; i < count; i++) {
                    int f = NativeMemory.getInt(at + LinuxAbi.CMSG_HEADER_BYTES + 4L * i);
                    if (fdCount < MAX_FDS) {
                        fds[fdCount++] = f;
                    } else {
                        Os.closeQuietly(f);
                    }
                }
            }
            at += LinuxAbi.cmsgAlign(len);
        }
    }

    private void closeUntakenFds() {
        for (int i = 0; i < fdCount; i++) {
            Os.closeQuietly(fds[i]);
            fds[i] = -1;
        }
        fdCount = 0;
    }

    /** Shuts the connection down so a thread blocked reading it returns (EOF). */
    public synchronized void shutdown() {
        // Once closed, the number may belong to another descriptor already.
        if (!closed) {
            Os.libc().shutdown(fd, LinuxAbi.SHUT_RDWR);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeUntakenFds();
        Os.closeQuietly(fd);
        NativeMemory.free(msghdr);
    }
}

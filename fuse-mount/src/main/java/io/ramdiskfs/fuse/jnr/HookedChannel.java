package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disks.Errno;
import jnr.ffi.LastError;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second libfuse channel on the mount's {@code /dev/fuse} descriptor whose send hook may change
 * a reply on its way to the kernel. {@link FuseLoop} passes it to {@code fuse_session_process}
 * only for the few requests whose replies must say what libfuse2 cannot express (the open flags
 * of {@link OpenReplyChannel}, the init reply of {@link InitReplyChannel}); every other request
 * keeps libfuse's own channel, so the I/O path gains no call.
 */
abstract class HookedChannel {
    private static final Logger log = LoggerFactory.getLogger(HookedChannel.class);

    /** {@code send} of {@code struct fuse_chan_ops}, with raw addresses. */
    public interface Send {
        @Delegate
        int send(@intptr_t long channel, @intptr_t long iov, @size_t long count);
    }

    protected final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    protected final int fd;
    // Held so the closure stays reachable for as long as libfuse may call it.
    private final Send send = this::send;
    private final Pointer ops;
    private final Pointer channel;

    protected HookedChannel(FuseLoop.LibFuse2 fuse, Pointer original) {
        this.fd = fuse.fuse_chan_fd(original);
        // struct fuse_chan_ops { receive; send; destroy; } - libfuse copies it into the channel.
        this.ops = Memory.allocateDirect(runtime, 3L * runtime.addressSize(), true);
        ops.putPointer(0, original.getPointer(0)); // the kernel channel's receive, never called here
        ops.putPointer(runtime.addressSize(), runtime.getClosureManager().getClosurePointer(Send.class, send));
        this.channel = fuse.fuse_chan_new(ops, fd, fuse.fuse_chan_bufsize(original), null);
        if (channel == null || channel.address() == 0) {
            throw new IllegalStateException("fuse_chan_new failed for descriptor " + fd);
        }
    }

    Pointer channel() {
        return channel;
    }

    /** Releases the channel (not the descriptor, which belongs to libfuse's channel). */
    void destroy(FuseLoop.LibFuse2 fuse) {
        fuse.fuse_chan_destroy(channel);
    }

    /**
     * Writes libfuse's reply ({@code count} iovecs at {@code iov}), changed as this channel
     * wants, to {@link #fd}.
     *
     * @return what {@code writev} returned
     */
    protected abstract long deliver(long iov, int count);

    /** For the log line when writing the reply fails. */
    protected abstract String what();

    private int send(long ch, long iov, long count) {
        try {
            long n = deliver(iov, (int) count);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno != Errno.ENOENT.code()) { // ENOENT: the request was interrupted; nobody waits for it
                    log.warn("writing {} to /dev/fuse failed with errno {}", what(), errno);
                }
                return -errno;
            }
            return 0;
        } catch (Throwable t) {
            log.error("sending {} failed", what(), t);
            return -Errno.EIO.code();
        }
    }
}

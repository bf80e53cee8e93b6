package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
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
 * A second libfuse channel on the same {@code /dev/fuse} descriptor, through which only
 * {@code OPEN} and {@code CREATE} requests are processed: its send hook adds
 * {@code FOPEN_PARALLEL_DIRECT_WRITES} to a successful reply before writing it to the kernel.
 *
 * <p>Why: the kernel takes a file's inode lock exclusively for every write unless the open reply
 * carries that flag (Linux 6.2+, together with {@code FOPEN_DIRECT_IO}); then writes inside the
 * file's size run concurrently. libfuse2 has no field for it ({@code fuse_file_info} stops at
 * {@code nonseekable}), so the reply is amended on its way out. Every other request keeps
 * libfuse's own channel, so the I/O path gains no call. Kernels older than 6.2 ignore the bit.
 * Concurrent writes to one disk are safe: {@code DiskBytes} orders overlapping writes with its
 * own range locks.
 */
final class OpenReplyChannel {
    private static final Logger log = LoggerFactory.getLogger(OpenReplyChannel.class);

    static final int FUSE_OPEN = 14;
    static final int FUSE_CREATE = 35;
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
    /** {@code struct fuse_out_header}: len, error, unique. */
    private static final int OUT_HEADER = 16;
    /** {@code struct fuse_entry_out} since protocol 7.9 (libfuse2 speaks 7.19). */
    private static final int ENTRY_OUT = 128;
    /** Offset of {@code open_flags} in {@code struct fuse_open_out} (after the 8-byte fh). */
    private static final int OPEN_FLAGS = 8;
    private static final int IOVEC = 16;
    private static final int ENOENT = 2;

    /** {@code send} of {@code struct fuse_chan_ops}, with raw addresses. */
    public interface Send {
        @Delegate
        int send(@intptr_t long channel, @intptr_t long iov, @size_t long count);
    }

    private final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    private final int fd;
    // Held so the closure stays reachable for as long as libfuse may call it.
    private final Send send = this::send;
    private final Pointer ops;
    private final Pointer channel;

    private OpenReplyChannel(FuseLoop.LibFuse2 fuse, Pointer original) {
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

    /** A channel beside {@code original} (libfuse's channel of the mount), on its descriptor. */
    static OpenReplyChannel beside(FuseLoop.LibFuse2 fuse, Pointer original) {
        return new OpenReplyChannel(fuse, original);
    }

    /** The channel to pass to {@code fuse_session_process} for a request with this opcode. */
    static boolean wants(int opcode) {
        return opcode == FUSE_OPEN || opcode == FUSE_CREATE;
    }

    Pointer channel() {
        return channel;
    }

    /** Releases the channel (not the descriptor, which belongs to libfuse's channel). */
    void destroy(FuseLoop.LibFuse2 fuse) {
        fuse.fuse_chan_destroy(channel);
    }

    private int send(long ch, long iov, long count) {
        try {
            amend(iov, (int) count);
            long n = libc.writev(fd, iov, (int) count);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno != ENOENT) { // ENOENT: the request was interrupted; nobody waits for it
                    log.warn("writing an open reply to /dev/fuse failed with errno {}", errno);
                }
                return -errno;
            }
            return 0;
        } catch (Throwable t) {
            log.error("sending an open reply failed", t);
            return -5; // EIO: libfuse then releases the handle it just opened
        }
    }

    /**
     * Sets the flag in a successful {@code OPEN} reply (header + {@code fuse_open_out}) or
     * {@code CREATE} reply (header + {@code fuse_entry_out} + {@code fuse_open_out}) that asked
     * for direct I/O; anything else is left as it is.
     */
    static void amend(long iov, int count) {
        if (count < 1 || NativeMemory.getLong(iov + 8) < OUT_HEADER) {
            return;
        }
        long header = NativeMemory.getLong(iov);
        int len = NativeMemory.getInt(header);
        int error = NativeMemory.getInt(header + 4);
        int at;
        if (error != 0) {
            return;
        } else if (len == OUT_HEADER + 16) {
            at = OUT_HEADER + OPEN_FLAGS;
        } else if (len == OUT_HEADER + ENTRY_OUT + 16) {
            at = OUT_HEADER + ENTRY_OUT + OPEN_FLAGS;
        } else {
            return;
        }
        long field = locate(iov, count, at);
        if (field != 0) {
            int flags = NativeMemory.getInt(field);
            if ((flags & FOPEN_DIRECT_IO) != 0) {
                NativeMemory.putInt(field, flags | FOPEN_PARALLEL_DIRECT_WRITES);
            }
        }
    }

    /** The address of byte {@code at} of the message, when the 4 bytes there sit in one segment. */
    private static long locate(long iov, int count, int at) {
        long skipped = 0;
        for (int i = 0; i < count; i++) {
            long base = NativeMemory.getLong(iov + (long) i * IOVEC);
            long len = NativeMemory.getLong(iov + (long) i * IOVEC + 8);
            if (at < skipped + len) {
                return at + 4 <= skipped + len ? base + (at - skipped) : 0;
            }
            skipped += len;
        }
        return 0;
    }
}

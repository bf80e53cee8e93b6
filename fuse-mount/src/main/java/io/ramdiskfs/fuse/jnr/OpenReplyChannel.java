package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fuse.jnr.FuseKernel.OpenOut;
import jnr.ffi.Pointer;

/**
 * The {@link HookedChannel} through which only {@code OPEN} and {@code CREATE} requests are
 * processed: its send hook adds
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
final class OpenReplyChannel extends HookedChannel {
    private static final int OUT_HEADER = FuseKernel.OutHeader.SIZE;
    private static final int ENTRY_OUT = FuseKernel.ENTRY_OUT_SIZE;
    private static final int OPEN_OUT = OpenOut.SIZE;
    private static final int OPEN_FLAGS = OpenOut.OPEN_FLAGS;
    private static final int IOVEC = FuseKernel.IOVEC_SIZE;

    private OpenReplyChannel(FuseLoop.LibFuse2 fuse, Pointer original) {
        super(fuse, original);
    }

    /** A channel beside {@code original} (libfuse's channel of the mount), on its descriptor. */
    static OpenReplyChannel beside(FuseLoop.LibFuse2 fuse, Pointer original) {
        return new OpenReplyChannel(fuse, original);
    }

    /** The channel to pass to {@code fuse_session_process} for a request with this opcode. */
    static boolean wants(int opcode) {
        return opcode == FuseKernel.FUSE_OPEN || opcode == FuseKernel.FUSE_CREATE;
    }

    @Override
    protected long deliver(long iov, int count) {
        amend(iov, count);
        return libc.writev(fd, iov, count);
    }

    @Override
    protected String what() {
        return "an open reply";
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
        int len = NativeMemory.getInt(header + FuseKernel.OutHeader.LEN);
        int error = NativeMemory.getInt(header + FuseKernel.OutHeader.ERROR);
        int at;
        if (error != 0) {
            return;
        } else if (len == OUT_HEADER + OPEN_OUT) {
            at = OUT_HEADER + OPEN_FLAGS;
        } else if (len == OUT_HEADER + ENTRY_OUT + OPEN_OUT) {
            at = OUT_HEADER + ENTRY_OUT + OPEN_FLAGS;
        } else {
            return;
        }
        long field = locate(iov, count, at);
        if (field != 0) {
            int flags = NativeMemory.getInt(field);
            if ((flags & FuseKernel.FOPEN_DIRECT_IO) != 0) {
                NativeMemory.putInt(field, flags | FuseKernel.FOPEN_PARALLEL_DIRECT_WRITES);
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

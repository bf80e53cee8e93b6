package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fuse.jnr.FuseKernel.OpenOut;
import java.util.function.LongToIntFunction;
import jnr.ffi.Pointer;

/**
 * The {@link HookedChannel} through which only {@code OPEN} and {@code CREATE} requests are
 * processed: its send hook adds {@code FOPEN_PARALLEL_DIRECT_WRITES} to a successful reply, or
 * makes it a passthrough open ({@link Passthrough}), before writing it to the kernel.
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

    /** Adds FOPEN_PARALLEL_DIRECT_WRITES to direct-I/O opens. */
    private final boolean parallelWrites;
    /** Backing ids for passthrough opens; null when the mount has none. */
    private final LongToIntFunction backingIds;

    private OpenReplyChannel(FuseLoop.LibFuse2 fuse, Pointer original, boolean parallelWrites, LongToIntFunction backingIds) {
        super(fuse, original);
        this.parallelWrites = parallelWrites;
        this.backingIds = backingIds;
    }

    /**
     * A channel beside {@code original} (libfuse's channel of the mount), on its descriptor.
     *
     * @param backingIds the backing id for a handle about to be opened by passthrough, or 0
     *                   ({@link Passthrough#backingIdFor}); null when no disk can be
     */
    static OpenReplyChannel beside(FuseLoop.LibFuse2 fuse, Pointer original, boolean parallelWrites,
            LongToIntFunction backingIds) {
        return new OpenReplyChannel(fuse, original, parallelWrites, backingIds);
    }

    /** The channel to pass to {@code fuse_session_process} for a request with this opcode. */
    static boolean wants(int opcode) {
        return opcode == FuseKernel.FUSE_OPEN || opcode == FuseKernel.FUSE_CREATE;
    }

    @Override
    protected long deliver(long iov, int count) {
        amend(iov, count, parallelWrites, backingIds);
        return libc.writev(fd, iov, count);
    }

    @Override
    protected String what() {
        return "an open reply";
    }

    /** {@link #amend(long, int, boolean, LongToIntFunction)} with parallel writes and no passthrough. */
    static void amend(long iov, int count) {
        amend(iov, count, true, null);
    }

    /**
     * Amends a successful {@code OPEN} reply (header + {@code fuse_open_out}) or {@code CREATE}
     * reply (header + {@code fuse_entry_out} + {@code fuse_open_out}); anything else is left as
     * it is. A handle that {@code backingIds} gives an id becomes a passthrough open:
     * {@code FOPEN_PASSTHROUGH} and the id, and none of the flags the kernel refuses beside it
     * ({@code FOPEN_DIRECT_IO} would send the reads and writes to us after all). Otherwise a
     * direct-I/O open gains {@code FOPEN_PARALLEL_DIRECT_WRITES} when {@code parallelWrites}.
     */
    static void amend(long iov, int count, boolean parallelWrites, LongToIntFunction backingIds) {
        if (count < 1 || NativeMemory.getLong(iov + 8) < OUT_HEADER) {
            return;
        }
        long header = NativeMemory.getLong(iov);
        int len = NativeMemory.getInt(header + FuseKernel.OutHeader.LEN);
        int error = NativeMemory.getInt(header + FuseKernel.OutHeader.ERROR);
        int openOut;
        if (error != 0) {
            return;
        } else if (len == OUT_HEADER + OPEN_OUT) {
            openOut = OUT_HEADER;
        } else if (len == OUT_HEADER + ENTRY_OUT + OPEN_OUT) {
            openOut = OUT_HEADER + ENTRY_OUT;
        } else {
            return;
        }
        long field = locate(iov, count, openOut + OPEN_FLAGS, 4);
        if (field == 0) {
            return;
        }
        int flags = NativeMemory.getInt(field);
        if (backingIds != null) {
            long fh = locate(iov, count, openOut + OpenOut.FH, 8);
            long backing = locate(iov, count, openOut + OpenOut.BACKING_ID, 4);
            int id = fh == 0 || backing == 0 ? 0 : backingIds.applyAsInt(NativeMemory.getLong(fh));
            if (id > 0) {
                NativeMemory.putInt(field, (flags & FuseKernel.FOPEN_NOFLUSH) | FuseKernel.FOPEN_PASSTHROUGH);
                NativeMemory.putInt(backing, id);
                return;
            }
        }
        if (parallelWrites && (flags & FuseKernel.FOPEN_DIRECT_IO) != 0) {
            NativeMemory.putInt(field, flags | FuseKernel.FOPEN_PARALLEL_DIRECT_WRITES);
        }
    }

    /** The address of byte {@code at} of the message, when the {@code width} bytes there sit in one segment. */
    private static long locate(long iov, int count, int at, int width) {
        long skipped = 0;
        for (int i = 0; i < count; i++) {
            long base = NativeMemory.getLong(iov + (long) i * IOVEC);
            long len = NativeMemory.getLong(iov + (long) i * IOVEC + 8);
            if (at < skipped + len) {
                return at + width <= skipped + len ? base + (at - skipped) : 0;
            }
            skipped += len;
        }
        return 0;
    }
}

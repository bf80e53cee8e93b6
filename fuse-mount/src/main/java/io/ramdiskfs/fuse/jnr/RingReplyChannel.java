package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fs.Errno;
import io.ramdiskfs.fuse.jnr.FuseKernel.OutHeader;
import io.ramdiskfs.fuse.jnr.FuseKernel.UringEntInOut;
import io.ramdiskfs.fuse.jnr.FuseKernel.UringHeader;
import java.util.function.LongToIntFunction;
import jnr.ffi.Pointer;

/**
 * The {@link HookedChannel} of one {@link UringQueue}: libfuse2 processes the requests that came
 * by the ring and that {@link DataRequests} does not serve (GETATTR, OPEN, RELEASE, ...) through
 * it, and its send hook copies the reply into the ring entry instead of writing it to
 * {@code /dev/fuse} (which would not find the request: the kernel keeps ring requests apart).
 *
 * <p>Why one per queue: libfuse2 replies synchronously on the thread that called
 * {@code fuse_session_process}, so the entry being served is a plain field of the queue's own
 * channel, with no thread-local lookup. Open replies are amended as {@link OpenReplyChannel}
 * does it.
 */
final class RingReplyChannel extends HookedChannel {
    private static final int OUT_HEADER = OutHeader.SIZE;
    private static final int IOVEC = FuseKernel.IOVEC_SIZE;

    private final boolean parallelWrites;
    private final LongToIntFunction backingIds;
    private long header;
    private long payload;
    private long capacity;
    private boolean replied;

    RingReplyChannel(FuseLoop.LibFuse2 fuse, Pointer original, boolean parallelWrites, LongToIntFunction backingIds) {
        super(fuse, original);
        this.parallelWrites = parallelWrites;
        this.backingIds = backingIds;
    }

    /** The entry whose request is about to be processed: where its reply goes. */
    void begin(long entryHeader, long entryPayload, long payloadCapacity) {
        this.header = entryHeader;
        this.payload = entryPayload;
        this.capacity = payloadCapacity;
        this.replied = false;
    }

    /** Whether libfuse replied to the request since {@link #begin}. */
    boolean replied() {
        return replied;
    }

    @Override
    protected long deliver(long iov, int count) {
        OpenReplyChannel.amend(iov, count, parallelWrites, backingIds);
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += NativeMemory.getLong(iov + (long) i * IOVEC + 8);
        }
        if (total < OUT_HEADER || total - OUT_HEADER > capacity) {
            errorReply(header, Errno.EIO.code());
            replied = true;
            return total;
        }
        // The message is out header + arguments, cut anywhere by the iovecs: the header goes to
        // the entry's in_out, the rest to its payload.
        long out = header + UringHeader.IN_OUT;
        long at = 0;
        for (int i = 0; i < count; i++) {
            long base = NativeMemory.getLong(iov + (long) i * IOVEC);
            long len = NativeMemory.getLong(iov + (long) i * IOVEC + 8);
            long headerPart = Math.max(0, Math.min(len, OUT_HEADER - at));
            if (headerPart > 0) {
                NativeMemory.copy(null, base, null, out + at, headerPart);
            }
            if (len > headerPart) {
                NativeMemory.copy(null, base + headerPart, null, payload + (at + headerPart - OUT_HEADER), len - headerPart);
            }
            at += len;
        }
        NativeMemory.putInt(header + UringHeader.ENT_IN_OUT + UringEntInOut.PAYLOAD_SZ, (int) (total - OUT_HEADER));
        replied = true;
        return total;
    }

    /** Makes the entry's reply an error: its unique is still in the in header's place. */
    static void errorReply(long header, int errno) {
        long out = header + UringHeader.IN_OUT;
        long unique = NativeMemory.getLong(out + FuseKernel.InHeader.UNIQUE);
        NativeMemory.putInt(out + OutHeader.LEN, OUT_HEADER);
        NativeMemory.putInt(out + OutHeader.ERROR, -errno);
        NativeMemory.putLong(out + OutHeader.UNIQUE, unique);
        NativeMemory.putInt(header + UringHeader.ENT_IN_OUT + UringEntInOut.PAYLOAD_SZ, 0);
    }

    @Override
    protected String what() {
        return "a reply into the io_uring entry";
    }
}

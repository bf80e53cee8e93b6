package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.NativeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The open reply gains FOPEN_PARALLEL_DIRECT_WRITES exactly where libfuse2 lays it out, and nowhere else. */
class OpenReplyChannelTest {
    private static final int DIRECT = FuseKernel.FOPEN_DIRECT_IO;
    private static final int PARALLEL = FuseKernel.FOPEN_PARALLEL_DIRECT_WRITES;
    private long memory;

    @BeforeEach
    void allocate() {
        memory = NativeMemory.allocate(4096);
        NativeMemory.zero(null, memory, 4096);
    }

    @AfterEach
    void free() {
        NativeMemory.free(memory);
    }

    /** An iovec array at {@code memory}: the header segment, then the payload in {@code split} pieces. */
    private long message(int error, int payload, int flagsAt, int flags, int... split) {
        long header = memory + 512;
        long body = memory + 1024;
        NativeMemory.putInt(header, 16 + payload);
        NativeMemory.putInt(header + 4, error);
        NativeMemory.putInt(body + flagsAt, flags);
        long iov = memory;
        putIov(iov, 0, header, 16);
        long at = body;
        int i = 1;
        for (int len : split.length == 0 ? new int[] {payload} : split) {
            putIov(iov, i++, at, len);
            at += len;
        }
        return iov;
    }

    private static void putIov(long iov, int i, long base, long len) {
        NativeMemory.putLong(iov + 16L * i, base);
        NativeMemory.putLong(iov + 16L * i + 8, len);
    }

    private int flags(int flagsAt) {
        return NativeMemory.getInt(memory + 1024 + flagsAt);
    }

    @Test
    void anOpenReplyAskingForDirectIoGainsParallelWrites() {
        OpenReplyChannel.amend(message(0, 16, 8, DIRECT), 2);
        assertEquals(DIRECT | PARALLEL, flags(8), "fuse_open_out.open_flags");
    }

    @Test
    void aCreateReplyIsAmendedAfterTheEntry() {
        OpenReplyChannel.amend(message(0, 128 + 16, 128 + 8, DIRECT), 2);
        assertEquals(DIRECT | PARALLEL, flags(128 + 8), "open_flags after the 128-byte fuse_entry_out");
        assertEquals(0, flags(8), "the entry's own bytes are untouched");
    }

    @Test
    void aPayloadSplitAcrossSegmentsIsFollowed() {
        OpenReplyChannel.amend(message(0, 16, 8, DIRECT, 4, 12), 3);
        assertEquals(DIRECT | PARALLEL, flags(8));
    }

    @Test
    void aCachedOpenIsLeftAlone() {
        OpenReplyChannel.amend(message(0, 16, 8, 2 /* FOPEN_KEEP_CACHE */), 2);
        assertEquals(2, flags(8), "without FOPEN_DIRECT_IO the kernel would drop the bit; it is not set");
    }

    @Test
    void aHandleWithABackingIdBecomesAPassthroughOpenWithoutDirectIo() {
        long iov = message(0, 16, 8, DIRECT | FuseKernel.FOPEN_NOFLUSH);
        NativeMemory.putLong(memory + 1024, 42); // fuse_open_out.fh

        OpenReplyChannel.amend(iov, 2, true, fh -> fh == 42 ? 7 : 0);

        assertEquals(FuseKernel.FOPEN_PASSTHROUGH | FuseKernel.FOPEN_NOFLUSH, flags(8),
                "FOPEN_DIRECT_IO would override passthrough; parallel writes need it");
        assertEquals(7, NativeMemory.getInt(memory + 1024 + 12), "fuse_open_out.backing_id");
    }

    @Test
    void aCreateReplyBecomesAPassthroughOpenAfterTheEntry() {
        long iov = message(0, 128 + 16, 128 + 8, DIRECT);
        NativeMemory.putLong(memory + 1024 + 128, 3);

        OpenReplyChannel.amend(iov, 2, true, fh -> fh == 3 ? 1 : 0);

        assertEquals(FuseKernel.FOPEN_PASSTHROUGH, flags(128 + 8));
        assertEquals(1, NativeMemory.getInt(memory + 1024 + 128 + 12), "backing_id");
    }

    @Test
    void aHandleWithoutABackingIdKeepsTheFusePath() {
        OpenReplyChannel.amend(message(0, 16, 8, DIRECT), 2, true, fh -> 0);
        assertEquals(DIRECT | PARALLEL, flags(8));
        assertEquals(0, NativeMemory.getInt(memory + 1024 + 12), "no backing id");
    }

    @Test
    void anErrorReplyIsLeftAlone() {
        OpenReplyChannel.amend(message(-2, 16, 8, DIRECT), 2);
        assertEquals(DIRECT, flags(8));
    }

    @Test
    void aReplyOfAnotherSizeIsLeftAlone() {
        OpenReplyChannel.amend(message(0, 24, 8, DIRECT), 2);
        assertEquals(DIRECT, flags(8));
    }

    @Test
    void opensAndCreatesGoThroughTheAmendingChannel() {
        assertEquals(true, OpenReplyChannel.wants(FuseKernel.FUSE_OPEN));
        assertEquals(true, OpenReplyChannel.wants(FuseKernel.FUSE_CREATE));
        assertEquals(false, OpenReplyChannel.wants(15 /* FUSE_READ */));
        assertEquals(false, OpenReplyChannel.wants(16 /* FUSE_WRITE */));
    }
}

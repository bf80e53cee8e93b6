package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * libfuse2's 24-byte init reply becomes a 32-byte one with FUSE_MAX_PAGES, max_write and
 * max_pages where protocol 7.28 puts them; everything else in it stays, and nothing else changes.
 */
class InitReplyChannelTest {
    private static final int MIB = 1 << 20;
    private static final int ASYNC_READ = 1;
    private static final int BIG_WRITES = 1 << 5;
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

    /** libfuse's reply as it sends it: iovec 0 the out header, iovec 1 the 7.19 fuse_init_out. */
    private long libfuseReply(int error, int major) {
        long header = memory + 512;
        long arg = memory + 1024;
        NativeMemory.putInt(header, 16 + 24);
        NativeMemory.putInt(header + 4, error);
        NativeMemory.putLong(header + 8, 0x1234_5678_9abcL); // unique
        NativeMemory.putInt(arg, major);
        NativeMemory.putInt(arg + 4, 19);
        NativeMemory.putInt(arg + 8, 128 << 10); // max_readahead
        NativeMemory.putInt(arg + 12, ASYNC_READ | BIG_WRITES);
        NativeMemory.putInt(arg + 16, 12 | (9 << 16)); // max_background, congestion_threshold
        NativeMemory.putInt(arg + 20, 128 << 10); // max_write
        NativeMemory.putLong(memory, header);
        NativeMemory.putLong(memory + 8, 16);
        NativeMemory.putLong(memory + 16, arg);
        NativeMemory.putLong(memory + 24, 24);
        return memory;
    }

    @Test
    void aSuccessfulInitReplyAsksForMaxPagesAndTheLargerMaxWrite() {
        long out = memory + 2048;
        NativeMemory.putLong(out + 16 + 24, -1L); // time_gran, max_pages: garbage before

        int length = InitReplyChannel.extend(libfuseReply(0, 7), 2, out, MIB, false);

        assertEquals(48, length, "reply length");
        assertEquals(48, NativeMemory.getInt(out), "fuse_out_header.len");
        assertEquals(0, NativeMemory.getInt(out + 4), "fuse_out_header.error");
        assertEquals(0x1234_5678_9abcL, NativeMemory.getLong(out + 8), "fuse_out_header.unique");
        long arg = out + 16;
        assertEquals(7, NativeMemory.getInt(arg), "major");
        assertEquals(19, NativeMemory.getInt(arg + 4), "minor stays libfuse's");
        assertEquals(128 << 10, NativeMemory.getInt(arg + 8), "max_readahead");
        assertEquals(ASYNC_READ | BIG_WRITES | FuseKernel.low(FuseKernel.FUSE_MAX_PAGES), NativeMemory.getInt(arg + 12), "flags");
        assertEquals(12 | (9 << 16), NativeMemory.getInt(arg + 16), "max_background, congestion_threshold");
        assertEquals(MIB, NativeMemory.getInt(arg + 20), "max_write");
        assertEquals(0, NativeMemory.getInt(arg + 24), "time_gran");
        assertEquals(256, NativeMemory.getInt(arg + 28), "max_pages (low 16 bits), map_alignment 0");
    }

    @Test
    void withPassthroughTheReplyBecomesTheWhole64ByteStructAskingForIt() {
        long out = memory + 2048;
        NativeMemory.putLong(out + 16 + 48, -1L); // garbage where request_timeout and unused lie

        int length = InitReplyChannel.extend(libfuseReply(0, 7), 2, out, MIB, true);

        assertEquals(16 + 64, length, "reply length");
        assertEquals(16 + 64, NativeMemory.getInt(out), "fuse_out_header.len");
        long arg = out + 16;
        int flags = NativeMemory.getInt(arg + 12);
        assertEquals(ASYNC_READ | BIG_WRITES | FuseKernel.low(FuseKernel.FUSE_MAX_PAGES) | FuseKernel.low(FuseKernel.FUSE_INIT_EXT), flags,
                "flags: libfuse's, max_pages, and INIT_EXT so that the kernel reads flags2");
        assertEquals(0, flags & FuseKernel.low(FuseKernel.FUSE_WRITEBACK_CACHE), "passthrough excludes the writeback cache");
        assertEquals(1 << 5, NativeMemory.getInt(arg + 32), "flags2: FUSE_PASSTHROUGH (bit 37)");
        assertEquals(1, NativeMemory.getInt(arg + 36), "max_stack_depth: FUSE over tmpfs");
        assertEquals(256, NativeMemory.getInt(arg + 28), "max_pages as without passthrough");
        for (int at = 40; at < 64; at += 4) {
            assertEquals(0, NativeMemory.getInt(arg + at), "request_timeout and unused at " + at);
        }
    }

    @Test
    void passthroughIsOfferedOnlyByAnExtendedInitWithTheFlag() {
        long request = memory;
        NativeMemory.putInt(request + 4, FuseKernel.FUSE_INIT);
        long in = request + 40;
        NativeMemory.putInt(in, 7);
        NativeMemory.putInt(in + 4, 45);
        NativeMemory.putInt(in + 12, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES | FuseKernel.FUSE_INIT_EXT));
        NativeMemory.putInt(in + 16, FuseKernel.high(FuseKernel.FUSE_PASSTHROUGH));
        assertTrue(InitReplyChannel.offersPassthrough(request, 40 + 64));
        assertFalse(InitReplyChannel.offersPassthrough(request, 40 + 16), "a 16-byte fuse_init_in has no flags2");
        NativeMemory.putInt(in + 12, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES));
        assertFalse(InitReplyChannel.offersPassthrough(request, 40 + 64), "flags2 means nothing without INIT_EXT");
        NativeMemory.putInt(in + 12, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES | FuseKernel.FUSE_INIT_EXT));
        NativeMemory.putInt(in + 16, 0);
        assertFalse(InitReplyChannel.offersPassthrough(request, 40 + 64), "a kernel without CONFIG_FUSE_PASSTHROUGH");
    }

    @Test
    void aReplyInOneSegmentIsExtendedAlike() {
        long reply = libfuseReply(0, 7);
        long single = memory + 3072;
        NativeMemory.copy(null, NativeMemory.getLong(reply), null, single, 16);
        NativeMemory.copy(null, NativeMemory.getLong(reply + 16), null, single + 16, 24);
        NativeMemory.putLong(reply, single);
        NativeMemory.putLong(reply + 8, 40);

        assertEquals(48, InitReplyChannel.extend(reply, 1, memory + 2048, 512 << 10, false));
        assertEquals(128, NativeMemory.getInt(memory + 2048 + 16 + 28), "max_pages for 512 KiB");
    }

    @Test
    void anErrorReplyOrAnotherVersionGoesOutUnchanged() {
        assertEquals(-1, InitReplyChannel.extend(libfuseReply(-71, 7), 2, memory + 2048, MIB, false), "EPROTO reply");
        assertEquals(-1, InitReplyChannel.extend(libfuseReply(0, 8), 2, memory + 2048, MIB, false), "major 8");
        long reply = libfuseReply(0, 7);
        NativeMemory.putLong(reply + 24, 8); // a 5-minor reply: 8 bytes
        assertEquals(-1, InitReplyChannel.extend(reply, 2, memory + 2048, MIB, false), "an 8-byte fuse_init_out");
        assertEquals(128 << 10, NativeMemory.getInt(memory + 1024 + 20), "libfuse's max_write untouched");
    }

    @Test
    void onlyAnInitRequestFromAKernelOfferingMaxPagesIsWanted() {
        long request = memory;
        NativeMemory.putInt(request + 4, FuseKernel.FUSE_INIT);
        NativeMemory.putInt(request + 40, 7);
        NativeMemory.putInt(request + 44, 45);
        NativeMemory.putInt(request + 52, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES) | ASYNC_READ);
        assertTrue(InitReplyChannel.wants(request, 104), "7.45 kernel offering max_pages");

        NativeMemory.putInt(request + 52, ASYNC_READ);
        assertFalse(InitReplyChannel.wants(request, 104), "a kernel not offering FUSE_MAX_PAGES");
        NativeMemory.putInt(request + 52, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES));
        NativeMemory.putInt(request + 44, 27);
        assertFalse(InitReplyChannel.wants(request, 104), "a 7.27 kernel");
        NativeMemory.putInt(request + 44, 45);
        NativeMemory.putInt(request + 4, 15);
        assertFalse(InitReplyChannel.wants(request, 104), "a READ request");
        NativeMemory.putInt(request + 4, FuseKernel.FUSE_INIT);
        assertFalse(InitReplyChannel.wants(request, 48), "a truncated INIT");
    }
}

package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.fs.DiskDirectory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * READ and WRITE requests laid out as the kernel sends them, answered as it expects: the replies
 * go to a plain file standing in for {@code /dev/fuse}, and are read back and checked field by
 * field.
 */
class DataRequestsTest {
    private static final int MIB = 1 << 20;
    private static final int O_WRONLY = 1;
    private static final int O_APPEND = 0x400;
    private static final int EBADF = 9;
    private static final int EINVAL = 22;

    @TempDir
    Path tmp;
    private Path replies;
    private int fd;
    private DiskDirectory dir;
    private DataRequests data;
    private DataRequests.Worker worker;
    private long request;
    private long fh;
    private int read;

    @BeforeEach
    void setUp() throws Exception {
        replies = Files.createFile(tmp.resolve("replies"));
        fd = Libc.get().open(replies.toString(), O_WRONLY | O_APPEND);
        assertTrue(fd >= 0, "open " + replies);
        MemoryBudget budget = MemoryBudget.unlimited();
        dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, 512, budget), false), budget, false, () -> 0L);
        dir.add("disk0", LayeredDisk.of(RamLayer.create(4 * MIB, 512, budget), false), 0, 0);
        fh = dir.open("/disk0", 2);
        data = new DataRequests(dir, fd, MIB);
        worker = data.worker();
        request = NativeMemory.allocate(MIB + 4096);
    }

    @AfterEach
    void tearDown() {
        worker.close();
        data.close();
        NativeMemory.free(request);
        Libc.get().close(fd);
        dir.closeAll();
    }

    /** A request: fuse_in_header, then fuse_read_in / fuse_write_in; returns its length. */
    private int request(int opcode, long unique, long handle, long offset, int size, byte[] payload) {
        int length = 80 + (payload == null ? 0 : payload.length);
        NativeMemory.zero(null, request, 80);
        NativeMemory.putInt(request, length);
        NativeMemory.putInt(request + 4, opcode);
        NativeMemory.putLong(request + 8, unique);
        NativeMemory.putLong(request + 40, handle);
        NativeMemory.putLong(request + 48, offset);
        NativeMemory.putInt(request + 56, size);
        if (payload != null) {
            NativeMemory.copy(payload, NativeMemory.BYTE_ARRAY_BASE, null, request + 80, payload.length);
        }
        return length;
    }

    /** The next reply written to the stand-in for /dev/fuse. */
    private ByteBuffer nextReply() throws Exception {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(replies)).order(ByteOrder.LITTLE_ENDIAN);
        all.position(read);
        int len = all.getInt(read);
        assertTrue(all.remaining() >= len, "a reply of " + len + " bytes, " + all.remaining() + " written");
        ByteBuffer reply = all.slice().order(ByteOrder.LITTLE_ENDIAN);
        reply.limit(len);
        read += len;
        return reply;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed + (i >>> 9));
        }
        return b;
    }

    @Test
    void aWriteLandsOnTheDiskAndIsAnsweredWithItsSize() throws Exception {
        byte[] payload = pattern(5000, 1);
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_WRITE, 77, fh, 1000, 5000, payload)));

        ByteBuffer reply = nextReply();
        assertEquals(24, reply.getInt(0), "fuse_out_header.len");
        assertEquals(0, reply.getInt(4), "fuse_out_header.error");
        assertEquals(77, reply.getLong(8), "fuse_out_header.unique");
        assertEquals(5000, reply.getInt(16), "fuse_write_out.size");
        byte[] back = new byte[5000];
        dir.read(fh, 1000, back, NativeMemory.BYTE_ARRAY_BASE, 5000);
        assertArrayEquals(payload, back, 1000);
    }

    @Test
    void aReadIsAnsweredWithTheDiskBytesAfterTheHeader() throws Exception {
        byte[] payload = pattern(3 * 65536 + 100, 2);
        dir.write(fh, 65536 - 50, payload, NativeMemory.BYTE_ARRAY_BASE, payload.length);

        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 78, fh, 0, MIB, null)));

        ByteBuffer reply = nextReply();
        assertEquals(16 + MIB, reply.getInt(0), "fuse_out_header.len");
        assertEquals(0, reply.getInt(4), "fuse_out_header.error");
        assertEquals(78, reply.getLong(8), "fuse_out_header.unique");
        byte[] got = new byte[MIB];
        reply.position(16);
        reply.get(got);
        byte[] expected = new byte[MIB];
        System.arraycopy(payload, 0, expected, 65536 - 50, payload.length);
        assertArrayEquals(expected, got, 0);
    }

    /**
     * Every other sector written: 2048 runs in 1 MiB, more than the iovecs hold, so the read is
     * answered from a copy instead; the bytes are the same.
     */
    @Test
    void aReadOfMoreRunsThanIovecsIsCopiedAndStillRight() throws Exception {
        byte[] expected = new byte[MIB];
        byte[] sector = pattern(512, 3);
        for (int at = 0; at < MIB; at += 1024) {
            dir.write(fh, at, sector, NativeMemory.BYTE_ARRAY_BASE, 512);
            System.arraycopy(sector, 0, expected, at, 512);
        }

        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 79, fh, 0, MIB, null)));

        ByteBuffer reply = nextReply();
        assertEquals(16 + MIB, reply.getInt(0), "fuse_out_header.len");
        assertEquals(0, reply.getInt(4), "fuse_out_header.error");
        assertEquals(79, reply.getLong(8), "fuse_out_header.unique");
        byte[] got = new byte[MIB];
        reply.position(16);
        reply.get(got);
        assertArrayEquals(expected, got, 0);
    }

    @Test
    void aReadAtTheEndIsShortAndPastItEmpty() throws Exception {
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 1, fh, 4L * MIB - 100, 4096, null)));
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 2, fh, 4L * MIB + 5, 4096, null)));

        assertEquals(16 + 100, nextReply().getInt(0), "a read crossing the end: 100 bytes");
        ByteBuffer past = nextReply();
        assertEquals(16, past.getInt(0), "a read past the end: no bytes");
        assertEquals(0, past.getInt(4), "a read past the end is no error");
    }

    @Test
    void badRequestsAreAnsweredWithTheirErrno() throws Exception {
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 3, 9999, 0, 4096, null)));
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_WRITE, 4, 9999, 0, 10, new byte[10])));
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 5, fh, 0, 2 * MIB, null)));
        int length = request(FuseKernel.FUSE_WRITE, 6, fh, 0, 4096, new byte[10]);
        assertTrue(worker.serve(request, length));
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 7, fh, -4096, 4096, null)));

        int[][] expected = {{3, -EBADF}, {4, -EBADF}, {5, -EINVAL}, {6, -EINVAL}, {7, -EINVAL}};
        for (int[] e : expected) {
            ByteBuffer reply = nextReply();
            assertEquals(16, reply.getInt(0), "length of the error reply to request " + e[0]);
            assertEquals(e[1], reply.getInt(4), "errno of the reply to request " + e[0]);
            assertEquals(e[0], reply.getLong(8), "unique of the reply to request " + e[0]);
        }
        assertTrue(worker.serve(request, request(FuseKernel.FUSE_READ, 8, fh, 0, 512, null)), "still serving");
        assertEquals(16 + 512, nextReply().getInt(0));
    }

    @Test
    void otherRequestsAreLeftToLibfuse() throws Exception {
        int getattr = 3;
        assertFalse(worker.serve(request, request(getattr, 9, fh, 0, 0, null)));
        assertEquals(0, Files.size(replies), "nothing answered");
    }

    private static void assertArrayEquals(byte[] expected, byte[] got, long diskOffset) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != got[i]) {
                fail("differs at disk byte " + (diskOffset + i) + ": " + got[i] + " where " + expected[i] + " was written");
            }
        }
    }
}

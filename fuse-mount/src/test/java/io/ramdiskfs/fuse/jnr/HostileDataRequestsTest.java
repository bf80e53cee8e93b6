package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.fs.RangeOperations;
import io.ramdiskfs.fs.ControlAttributes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded mutator against every request a worker decodes itself (READ, WRITE, LSEEK,
 * COPY_FILE_RANGE, COPY_FILE_RANGE_64): lengths, offsets, handles, sizes, flags and whole bytes
 * chosen to hurt, thousands per seed. (Jazzer is not served by the registries this project can
 * reach, hence a mutator in JUnit.)
 *
 * <p>For each input: the worker either leaves it to libfuse (an opcode it does not serve, a
 * request too short for its arguments) and writes nothing, or writes exactly one reply whose
 * header is consistent (length = bytes written, the request's unique, error 0 or a negative errno,
 * an error reply carries no payload) and never {@code EIO}, which would mean an exception nobody
 * expected. A model of every disk (a byte array) changes only by what a reply acknowledged; the
 * disks are compared with it every {@link #CHECK_EVERY} inputs, and a read's payload with it every
 * time. The snapshot never changes. On a failure the message names the seed and the input: rerun
 * with {@code -Dramdiskfs.fuzz.seed=SEED}.
 */
class HostileDataRequestsTest {
    private static final int MAX_REQUEST = 128 << 10;
    private static final int BUFFER = 80 + MAX_REQUEST + 4096;
    /** Disks grown past this are cut back to it, so that the model stays an array. */
    private static final int CAP = 1 << 20;
    private static final int INPUTS = Integer.getInteger("ramdiskfs.fuzz.inputs", 10_000);
    private static final int CHECK_EVERY = 64;
    private static final long PIB = 1L << 50;

    @TempDir
    Path tmp;
    private FileChannel replies;
    private int fd;
    private DiskDirectory dir;
    private DataRequests data;
    private DataRequests.Worker worker;
    private long request;
    /** Handles: disk a (rw), disk b (rw), the snapshot of a (ro), and models of their content. */
    private final long[] handles = new long[3];
    private final String[] paths = {"/a", "/b", "/.snap/s/a"};
    private final byte[][] model = new byte[3][];
    private final Deque<String> recent = new ArrayDeque<>();
    /** Per opcode: inputs answered with success, with an errno, left to libfuse. */
    private final int[][] outcomes = new int[FuseKernel.OPCODE_LIMIT + 1][3];

    static long[] seeds() {
        Long fixed = Long.getLong("ramdiskfs.fuzz.seed");
        return fixed != null ? new long[] {fixed} : new long[] {1, 0x5eed_f00dL, System.nanoTime()};
    }

    @BeforeEach
    void setUp() throws Exception {
        Path file = Files.createFile(tmp.resolve("replies"));
        fd = Libc.get().open(file.toString(), 1 | 0x400); // O_WRONLY | O_APPEND: a stand-in for /dev/fuse
        assertTrue(fd >= 0);
        replies = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        MemoryBudget budget = MemoryBudget.unlimited();
        dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, 512, budget), false), budget, false, () -> 0L);
        dir.add("a", LayeredDisk.of(RamLayer.create(256 << 10, 512, budget), false), 0, 0);
        dir.add("b", LayeredDisk.of(RamLayer.create(64 << 10, 512, budget), false), 0, 0);
        handles[0] = dir.open("/a", 2);
        handles[1] = dir.open("/b", 2);
        byte[] content = new byte[256 << 10];
        new Random(99).nextBytes(content);
        Arrays.fill(content, 100_000, 200_000, (byte) 0); // a hole, and data around it
        dir.write(handles[0], 0, content, NativeMemory.BYTE_ARRAY_BASE, content.length);
        dir.fallocate(handles[0], 0x03 /* PUNCH_HOLE | KEEP_SIZE */, 102_400, 90_112);
        model[0] = content;
        model[1] = new byte[64 << 10];
        dir.setXattr("/a", ControlAttributes.SNAPSHOT, "s", 0, 0);
        handles[2] = dir.open(paths[2], 0);
        model[2] = content.clone();
        data = new DataRequests(dir, fd, MAX_REQUEST);
        worker = data.worker();
        request = NativeMemory.allocate(BUFFER);
    }

    @AfterEach
    void tearDown() throws Exception {
        worker.close();
        data.close();
        NativeMemory.free(request);
        Libc.get().close(fd);
        replies.close();
        dir.closeAll();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyInputIsAnsweredOrLeftToLibfuseAndTheDisksChangeOnlyByWhatWasAcknowledged(long seed) throws Exception {
        Random rnd = new Random(seed);
        for (int i = 0; i < INPUTS; i++) {
            try {
                oneInput(rnd, i);
                if (i % CHECK_EVERY == CHECK_EVERY - 1) {
                    checkDisks();
                }
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed
                        + "); the last inputs:\n" + String.join("\n", recent) + "\n" + t, t);
            }
        }
        checkDisks();
        StringBuilder summary = new StringBuilder("seed " + seed + ":");
        for (int op : OPCODES) {
            summary.append(' ').append(NativeOps.of(op).name()).append(' ').append(Arrays.toString(outcomes[op]));
        }
        System.out.println(summary + " (ok, errno, left to libfuse)");
        assertTrue(Arrays.stream(OPCODES).allMatch(op -> outcomes[op][0] > 0 && outcomes[op][1] > 0),
                "every opcode both succeeded and failed at least once");
    }

    // ------------------------------------------------------------------ inputs

    private static final int[] OPCODES = {FuseKernel.FUSE_READ, FuseKernel.FUSE_WRITE, FuseKernel.FUSE_LSEEK,
            FuseKernel.FUSE_COPY_FILE_RANGE, FuseKernel.FUSE_COPY_FILE_RANGE_64};

    private long handle(Random rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> pick(rnd, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32, 3L, 64L, Integer.MAX_VALUE + 1L);
            case 1 -> rnd.nextLong();
            default -> handles[rnd.nextInt(3)];
        };
    }

    private static long offset(Random rnd, long size) {
        return switch (rnd.nextInt(10)) {
            case 0 -> pick(rnd, -1L, -512L, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 511, PIB, PIB - 1, PIB - 512,
                    1L << 62, 1L << 40);
            case 1 -> pick(rnd, size, size - 1, size + 1, size + 512, size - 512, 0L);
            case 2 -> rnd.nextLong();
            case 3, 4 -> rnd.nextInt((int) Math.max(1, size / 512)) * 512L;
            default -> rnd.nextInt((int) Math.max(1, size + 4096));
        };
    }

    private static int size(Random rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> (int) pick(rnd, 0L, 1L, -1L, Integer.MIN_VALUE, Integer.MAX_VALUE, MAX_REQUEST, MAX_REQUEST + 1L,
                    MAX_REQUEST - 1L, 512L, 511L, 4096L);
            case 1 -> rnd.nextInt();
            case 2, 3 -> (rnd.nextInt(MAX_REQUEST / 512) + 1) * 512;
            default -> rnd.nextInt(MAX_REQUEST + 1);
        };
    }

    private static long pick(Random rnd, long... values) {
        return values[rnd.nextInt(values.length)];
    }

    private int which(long fh) {
        for (int i = 0; i < 3; i++) {
            if (handles[i] == fh) {
                return i;
            }
        }
        return -1;
    }

    private void oneInput(Random rnd, int index) throws Exception {
        int opcode = rnd.nextInt(20) == 0 ? rnd.nextInt(70) : OPCODES[rnd.nextInt(OPCODES.length)];
        long unique = rnd.nextLong();
        NativeMemory.zero(null, request, 160);
        long fh = handle(rnd);
        int target = which(fh);
        long diskSize = target >= 0 ? model[target].length : 1 << 20;
        long off = offset(rnd, diskSize);
        int size = size(rnd);
        int length;
        long args = request + 40;
        switch (opcode) {
            case FuseKernel.FUSE_READ, FuseKernel.FUSE_WRITE -> {
                NativeMemory.putLong(args, fh);
                NativeMemory.putLong(args + 8, off);
                NativeMemory.putInt(args + 16, size);
                NativeMemory.putInt(args + 20, rnd.nextInt(4) == 0 ? rnd.nextInt() : 0);
                int carried = opcode == FuseKernel.FUSE_WRITE ? payloadLength(rnd, size) : 0;
                for (int i = 0; i < carried; i += 8) {
                    NativeMemory.putLong(request + 80 + i, rnd.nextLong());
                }
                length = 80 + carried;
            }
            case FuseKernel.FUSE_LSEEK -> {
                NativeMemory.putLong(args, fh);
                NativeMemory.putLong(args + 8, off);
                NativeMemory.putInt(args + 16, rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(6));
                length = 40 + 24;
            }
            default -> { // COPY_FILE_RANGE(_64), and opcodes nobody serves here
                NativeMemory.putLong(args, fh);
                NativeMemory.putLong(args + 8, off);
                NativeMemory.putLong(args + 16, rnd.nextLong()); // nodeid_out: not read
                long fhOut = handle(rnd);
                int t = which(fhOut);
                NativeMemory.putLong(args + 24, fhOut);
                NativeMemory.putLong(args + 32, rnd.nextInt(3) == 0 ? off : offset(rnd, t >= 0 ? model[t].length : 1 << 20));
                NativeMemory.putLong(args + 40, rnd.nextInt(3) == 0 ? pick(rnd, 0L, -1L, Long.MAX_VALUE, 0xFFFF_FFFFL,
                        1L << 32, diskSize) : rnd.nextInt(CAP + 1));
                NativeMemory.putLong(args + 48, rnd.nextInt(6) == 0 ? rnd.nextLong() : 0);
                length = 40 + 56;
            }
        }
        if (rnd.nextInt(6) == 0) { // a short request, or garbage after it
            length = rnd.nextBoolean() ? rnd.nextInt(length + 1) : Math.min(BUFFER, length + rnd.nextInt(64));
        }
        if (rnd.nextInt(8) == 0) { // flip a few bytes anywhere in the arguments
            for (int k = rnd.nextInt(4) + 1; k > 0; k--) {
                long at = request + 40 + rnd.nextInt(56);
                NativeMemory.copy(new byte[] {(byte) rnd.nextInt()}, NativeMemory.BYTE_ARRAY_BASE, null, at, 1);
            }
        }
        NativeMemory.putInt(request, rnd.nextInt(10) == 0 ? rnd.nextInt() : length);
        NativeMemory.putInt(request + 4, opcode);
        NativeMemory.putLong(request + 8, unique);
        remember(index, length);

        boolean served = worker.serve(request, length);
        ByteBuffer reply = takeReply();
        NativeOps.Op op = NativeOps.forRequest(opcode, length);
        int[] counts = outcomes[Math.min(opcode & 0xFF, FuseKernel.OPCODE_LIMIT)];
        counts[!served ? 2 : reply.limit() >= 8 && reply.getInt(4) != 0 ? 1 : 0]++;
        if (!served) {
            assertEquals(0, reply.limit(), "a request left to libfuse was answered too");
            assertTrue(op == null, NativeOps.of(opcode) + " of " + length + " bytes was left to libfuse");
            return;
        }
        assertTrue(op != null, "opcode " + opcode + " of " + length + " bytes was answered");
        assertTrue(reply.limit() >= 16, "a reply shorter than its header: " + reply.limit() + " bytes");
        int len = reply.getInt(0);
        int error = reply.getInt(4);
        assertEquals(reply.limit(), len, "fuse_out_header.len against the bytes written");
        assertEquals(unique, reply.getLong(8), "fuse_out_header.unique");
        assertTrue(error <= 0 && error > -4096, "error " + error);
        assertTrue(error != -Errno.EIO.code(), "EIO: an exception nobody expected (see the log)");
        if (error != 0) {
            assertEquals(16, len, "an error reply carries nothing");
            return;
        }
        acknowledged(opcode, reply);
    }

    /** What a WRITE carries: mostly its size, sometimes less (malformed), never past the buffer. */
    private static int payloadLength(Random rnd, int size) {
        int want = size < 0 || size > MAX_REQUEST ? rnd.nextInt(MAX_REQUEST) : size;
        return rnd.nextInt(5) == 0 ? rnd.nextInt(want + 1) : want;
    }

    private void remember(int index, int length) {
        byte[] head = new byte[Math.min(length, 96)];
        NativeMemory.copy(null, request, head, NativeMemory.BYTE_ARRAY_BASE, head.length);
        recent.addLast("#" + index + " length " + length + ": " + HexFormat.of().formatHex(head));
        if (recent.size() > CHECK_EVERY + 4) {
            recent.removeFirst();
        }
    }

    /** The bytes written to the stand-in since the last call; the file is emptied for the next. */
    private ByteBuffer takeReply() throws Exception {
        int n = (int) replies.size();
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining() && replies.read(b, b.position()) > 0) {
            // read all
        }
        replies.truncate(0);
        b.flip();
        return b;
    }

    // ------------------------------------------------------------------ the model

    /** A successful reply: check it against the model and apply what it acknowledged. */
    private void acknowledged(int opcode, ByteBuffer reply) throws Exception {
        long args = request + 40;
        long fh = NativeMemory.getLong(args);
        int t = which(fh);
        assertTrue(t >= 0, "handle " + fh + " is not open, yet the request succeeded");
        byte[] m = model[t];
        long off = NativeMemory.getLong(args + 8);
        switch (opcode) {
            case FuseKernel.FUSE_READ -> {
                int size = NativeMemory.getInt(args + 16);
                long expected = off >= m.length ? 0 : Math.min(size, m.length - off);
                assertEquals(16 + expected, reply.limit(), "a read of " + size + " at " + off + " of " + m.length);
                for (int i = 0; i < expected; i++) {
                    if (reply.get(16 + i) != m[(int) off + i]) {
                        throw new AssertionError("read at " + off + " differs at disk byte " + (off + i));
                    }
                }
            }
            case FuseKernel.FUSE_WRITE -> {
                int size = NativeMemory.getInt(args + 16);
                assertTrue(t != 2 || size == 0, "a write to the snapshot succeeded"); // 0 bytes change nothing
                assertEquals(24, reply.limit());
                assertEquals(size, reply.getInt(16), "bytes written");
                byte[] payload = new byte[size];
                NativeMemory.copy(null, request + 80, payload, NativeMemory.BYTE_ARRAY_BASE, size);
                apply(t, off, payload);
            }
            case FuseKernel.FUSE_LSEEK -> {
                assertEquals(24, reply.limit());
                long at = reply.getLong(16);
                int whence = NativeMemory.getInt(args + 16);
                if (whence == RangeOperations.SEEK_DATA) {
                    assertTrue(at >= off && at < m.length, "SEEK_DATA from " + off + " gave " + at + " of " + m.length);
                } else if (whence == RangeOperations.SEEK_HOLE) {
                    assertTrue(at >= off && at <= m.length, "SEEK_HOLE from " + off + " gave " + at + " of " + m.length);
                }
            }
            default -> {
                long fhOut = NativeMemory.getLong(args + 24);
                long offOut = NativeMemory.getLong(args + 32);
                long len = NativeMemory.getLong(args + 40);
                int u = which(fhOut);
                assertTrue(u >= 0 && u != 2, "a copy into handle " + fhOut + " succeeded");
                assertEquals(0, NativeMemory.getLong(args + 48), "a copy with flags succeeded");
                if (opcode == FuseKernel.FUSE_COPY_FILE_RANGE) {
                    len = Math.min(len, 0xFFFF_F000L);
                }
                long n = off >= m.length ? 0 : Math.min(len, m.length - off);
                assertEquals(24, reply.limit());
                long copied = opcode == FuseKernel.FUSE_COPY_FILE_RANGE ? Integer.toUnsignedLong(reply.getInt(16)) : reply.getLong(16);
                assertEquals(n, copied, "bytes copied");
                if (n > 0) {
                    apply(u, offOut, Arrays.copyOfRange(m, (int) off, (int) (off + n)));
                }
            }
        }
    }

    /** A write of {@code bytes} at {@code off}: the disk grows to a whole sector, and is cut back at {@link #CAP}. */
    private void apply(int t, long off, byte[] bytes) throws Exception {
        byte[] m = model[t];
        if (bytes.length == 0) {
            return; // nothing written, nothing grown (as pwrite of 0 bytes)
        }
        long end = off + bytes.length;
        long grown = Math.max(m.length, (end + 511) / 512 * 512);
        int size = (int) Math.min(grown, CAP);
        if (size != m.length) {
            m = Arrays.copyOf(m, size);
        }
        if (off < size) {
            System.arraycopy(bytes, 0, m, (int) off, (int) Math.min(bytes.length, size - off));
        }
        if (grown > CAP) {
            dir.ftruncate(handles[t], CAP);
        }
        assertEquals(m.length, dir.file(handles[t]).size(), "the size of " + paths[t]);
        model[t] = m;
    }

    private void checkDisks() throws Exception {
        for (int t = 0; t < 3; t++) {
            byte[] m = model[t];
            assertEquals(m.length, dir.file(handles[t]).size(), "the size of " + paths[t]);
            byte[] got = new byte[m.length];
            dir.read(handles[t], 0, got, NativeMemory.BYTE_ARRAY_BASE, got.length);
            if (!Arrays.equals(m, got)) {
                int i = Arrays.mismatch(m, got);
                throw new AssertionError(paths[t] + " differs from what was acknowledged at byte " + i);
            }
        }
    }
}

package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reply hooks and the INIT request test, fed malformed input by a seeded mutator: INIT
 * requests of every length with random versions and flags ({@link InitReplyChannel#wants},
 * {@link InitReplyChannel#offersPassthrough}), and replies of random lengths, errors and iovec
 * splits ({@link InitReplyChannel#extend}, {@link OpenReplyChannel#amend}).
 *
 * <p>What must hold: no exception; the request is only read, and only within its length; a
 * reply is amended in place only where its iovecs point, and only when it is a successful OPEN
 * or CREATE reply of exactly the size libfuse2 sends (else every byte stays); an extended init
 * reply stays within its 80-byte buffer and keeps libfuse's header (unique, no error). Memory
 * around every segment is a canary checked after each input.
 */
class HostileRepliesTest {
    private static final int ARENA = 8192;
    private static final int INPUTS = Integer.getInteger("ramdiskfs.fuzz.inputs", 10_000);
    private long arena;
    private byte[] before;

    static long[] seeds() {
        Long fixed = Long.getLong("ramdiskfs.fuzz.seed");
        return fixed != null ? new long[] {fixed} : new long[] {3, 0xfee1_600dL, System.nanoTime()};
    }

    @BeforeEach
    void allocate() {
        arena = NativeMemory.allocate(ARENA);
        before = new byte[ARENA];
    }

    @AfterEach
    void free() {
        NativeMemory.free(arena);
    }

    private void fill(Random rnd) {
        rnd.nextBytes(before);
        NativeMemory.copy(before, NativeMemory.BYTE_ARRAY_BASE, null, arena, ARENA);
    }

    private byte[] now() {
        byte[] b = new byte[ARENA];
        NativeMemory.copy(null, arena, b, NativeMemory.BYTE_ARRAY_BASE, ARENA);
        return b;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void initRequestsOfAnyShapeAreOnlyRead(long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < INPUTS; i++) {
            fill(rnd);
            long request = arena + 1024;
            int length = rnd.nextInt(4) == 0 ? rnd.nextInt(200) : 40 + 64;
            NativeMemory.putInt(request + 4, rnd.nextInt(4) == 0 ? rnd.nextInt(64) : FuseKernel.FUSE_INIT);
            NativeMemory.putInt(request + 40, rnd.nextInt(3) == 0 ? rnd.nextInt() : 7);
            NativeMemory.putInt(request + 44, rnd.nextInt(3) == 0 ? rnd.nextInt() : 19 + rnd.nextInt(30));
            byte[] sent = now();
            try {
                boolean wants = InitReplyChannel.wants(request, length);
                boolean passthrough = InitReplyChannel.offersPassthrough(request, length);
                if (wants) {
                    assertTrue(length >= 40 + 16, "INIT of " + length + " bytes taken");
                }
                if (passthrough) {
                    assertTrue(length >= 40 + 20, "passthrough read past an INIT of " + length + " bytes");
                }
                assertTrue(Arrays.equals(sent, now()), "the request was written to");
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed + "): " + t, t);
            }
        }
    }

    /**
     * Lays a reply out as libfuse might: a header (len, error, unique) and a payload, split into
     * segments at random places, each segment somewhere in the arena with gaps around it.
     *
     * @return the iovec array's address; {@code segments[0]} receives the count
     */
    private long reply(Random rnd, int[] segments) {
        int payload = switch (rnd.nextInt(6)) {
            case 0 -> 16;
            case 1 -> 24;
            case 2 -> 128 + 16;
            case 3 -> rnd.nextInt(300);
            default -> (int) new long[] {0, 8, 15, 17, 23, 25, 64, 143, 145}[rnd.nextInt(9)];
        };
        int total = 16 + payload;
        long message = arena + 4096; // contiguous source of the bytes
        NativeMemory.putInt(message, rnd.nextInt(8) == 0 ? rnd.nextInt() : total);
        NativeMemory.putInt(message + 4, rnd.nextInt(4) == 0 ? -rnd.nextInt(100) : 0);
        NativeMemory.putInt(arena + 4096 + 16, 7); // a plausible init major
        int count = rnd.nextInt(5) == 0 ? rnd.nextInt(3) : 1 + rnd.nextInt(4);
        long iov = arena;
        long place = arena + 256;
        int at = 0;
        for (int s = 0; s < count; s++) {
            int len = s == count - 1 ? total - at : rnd.nextInt(total - at + 1);
            if (rnd.nextInt(10) == 0) {
                len = rnd.nextInt(64); // lengths that do not add up
            }
            NativeMemory.putLong(iov + 16L * s, place);
            NativeMemory.putLong(iov + 16L * s + 8, len);
            NativeMemory.copy(null, message + Math.min(at, 400), null, place, len);
            at = Math.min(total, at + len);
            place += len + 8 + rnd.nextInt(16);
        }
        segments[0] = count;
        return iov;
    }

    /** The bytes the iovecs point at; everything else in the arena must stay. */
    private boolean[] covered(long iov, int count) {
        boolean[] c = new boolean[ARENA];
        for (int s = 0; s < count; s++) {
            long base = NativeMemory.getLong(iov + 16L * s) - arena;
            long len = NativeMemory.getLong(iov + 16L * s + 8);
            for (long b = base; b < base + len; b++) {
                c[(int) b] = true;
            }
        }
        return c;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void openRepliesChangeOnlyTheirOpenFlagsAndOnlyWhenWellFormed(long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < INPUTS; i++) {
            try {
                fill(rnd);
                int[] n = new int[1];
                long iov = reply(rnd, n);
                byte[] sent = now();
                boolean[] mayChange = covered(iov, n[0]);
                long header = n[0] > 0 ? NativeMemory.getLong(iov) : 0;
                boolean wellFormed = n[0] > 0 && NativeMemory.getLong(iov + 8) >= 16 && NativeMemory.getInt(header + 4) == 0
                        && (NativeMemory.getInt(header) == 32 || NativeMemory.getInt(header) == 16 + 128 + 16);
                long backing = rnd.nextInt(3);
                OpenReplyChannel.amend(iov, n[0], rnd.nextBoolean(), rnd.nextBoolean() ? null : fh -> (int) backing);
                byte[] after = now();
                for (int b = 0; b < ARENA; b++) {
                    if (after[b] != sent[b]) {
                        assertTrue(mayChange[b], "byte " + b + " outside the reply's segments changed");
                        assertTrue(wellFormed, "a reply that is not a successful OPEN/CREATE reply changed at byte " + b);
                    }
                }
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed + "): " + t, t);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void initRepliesAreExtendedOnlyWhenWellFormedAndWithinTheirBuffer(long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < INPUTS; i++) {
            try {
                fill(rnd);
                int[] n = new int[1];
                long iov = reply(rnd, n);
                long out = arena + 6144;
                byte[] sent = now();
                long unique = NativeMemory.getLong(arena + 4096 + 8);
                long total = 0;
                for (int s = 0; s < n[0]; s++) {
                    total += NativeMemory.getLong(iov + 16L * s + 8);
                }
                boolean passthrough = rnd.nextBoolean();
                int length = InitReplyChannel.extend(iov, n[0], out, 1 << 20, passthrough, rnd.nextBoolean());
                byte[] after = now();
                for (int b = 0; b < ARENA; b++) {
                    if (after[b] != sent[b]) {
                        assertTrue(b >= 6144 && b < 6144 + 16 + 64, "byte " + b + " outside the 80-byte out buffer changed");
                    }
                }
                if (length >= 0) {
                    assertEquals(40, total, "a reply of " + total + " bytes was extended");
                    assertEquals(passthrough ? 80 : 48, length);
                    assertEquals(length, NativeMemory.getInt(out), "fuse_out_header.len");
                    assertEquals(0, NativeMemory.getInt(out + 4), "an error reply was extended");
                    assertEquals(7, NativeMemory.getInt(out + 16), "major");
                    if (n[0] == 1 || NativeMemory.getLong(iov + 8) >= 16) {
                        assertEquals(unique, NativeMemory.getLong(out + 8), "fuse_out_header.unique");
                    }
                }
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed + "): " + t, t);
            }
        }
    }
}

package io.ramdiskfs.disk;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Refuses new disk metadata (snapshots, clones) with ENOSPC while the Java heap is nearly full of
 * live objects, so that the JVM, which the launchers end on OutOfMemoryError, never gets there
 * and every disk (and the save at stop) survives. A snapshot costs tens of KiB of heap (its
 * chain, locks and counters), the data costs none (it is native memory under the budget), so
 * the heap fills only with very many snapshots or clones: that is where the refusal belongs.
 *
 * <p>Cheap when the heap is not tight: one read of the heap's usage. Only when usage passes
 * {@link #CHECK_FRACTION} of the maximum does it ask for a full collection, and it refuses only
 * when live objects still take more than {@link #REFUSE_FRACTION} after it; that is rare and
 * never on the data path. A refusal is remembered for {@link #REFUSAL_MEMORY_NANOS}: a script
 * that retries a refused snapshot in a loop would otherwise get a full collection per attempt.
 */
public final class HeapGuard {
    static final double CHECK_FRACTION = 0.85;
    static final double REFUSE_FRACTION = Double.parseDouble(System.getProperty("ramdiskfs.heapRefuseFraction", "0.75"));
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    static final long REFUSAL_MEMORY_NANOS = 250_000_000L;
    /** When the last refusal's collection ran, and the live bytes it left (0: none yet). */
    private static volatile long refusedAt;
    private static volatile long refusedLive;

    private HeapGuard() {}

    /** Throws ENOSPC, naming {@code what}, when the heap has no room for more metadata. */
    public static void checkRoomFor(String what) throws DiskException {
        long max = MEMORY.getHeapMemoryUsage().getMax();
        if (max <= 0 || MEMORY.getHeapMemoryUsage().getUsed() < CHECK_FRACTION * max) {
            return;
        }
        long now = System.nanoTime();
        long live = refusedLive;
        // Within a moment of a refusal, and with no less in the heap than it left, refuse again
        // without collecting: nothing can have been freed (a freed object shows only after a GC).
        boolean remembered = live > 0 && now - refusedAt < REFUSAL_MEMORY_NANOS && MEMORY.getHeapMemoryUsage().getUsed() >= live;
        if (!remembered) {
            MEMORY.gc();
            live = MEMORY.getHeapMemoryUsage().getUsed();
        }
        if (live >= REFUSE_FRACTION * max) {
            if (!remembered) {
                refusedLive = live;
                refusedAt = System.nanoTime();
            }
            throw new DiskException(DiskError.NO_SPACE, what + " refused: the Java heap holds " + live + " bytes of live objects, "
                    + Math.round(100.0 * live / max) + "% of its maximum " + max + " (delete snapshots or clones, or raise -Xmx)");
        }
    }
}

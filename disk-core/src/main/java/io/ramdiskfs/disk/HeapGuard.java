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
 * never on the data path.
 */
public final class HeapGuard {
    static final double CHECK_FRACTION = 0.85;
    static final double REFUSE_FRACTION = Double.parseDouble(System.getProperty("ramdiskfs.heapRefuseFraction", "0.75"));
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapGuard() {}

    /** Throws ENOSPC, naming {@code what}, when the heap has no room for more metadata. */
    public static void checkRoomFor(String what) throws DiskException {
        long max = MEMORY.getHeapMemoryUsage().getMax();
        if (max <= 0 || MEMORY.getHeapMemoryUsage().getUsed() < CHECK_FRACTION * max) {
            return;
        }
        MEMORY.gc();
        long live = MEMORY.getHeapMemoryUsage().getUsed();
        if (live >= REFUSE_FRACTION * max) {
            throw new DiskException(DiskError.NO_SPACE, what + " refused: the Java heap holds " + live + " bytes of live objects, "
                    + Math.round(100.0 * live / max) + "% of its maximum " + max + " (delete snapshots or clones, or raise -Xmx)");
        }
    }
}

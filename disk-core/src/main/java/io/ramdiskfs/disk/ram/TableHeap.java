package io.ramdiskfs.disk.ram;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The Java heap held by the chunk tables of every RAM layer of the process, and its ceiling.
 * Data memory is native and counted by the mount's {@code MemoryBudget}; the tables that index
 * it live on the heap, which the JVM ends the process over when it runs out. So the tables are
 * charged here as their nodes are made and given back, and a write or unmap that may need new
 * nodes is refused with ENOSPC once they hold {@link #limit()} (half the maximum heap by
 * default, {@code -Dramdiskfs.tableHeapLimit=BYTES}), leaving the rest to everything else.
 *
 * <p>The charge is an estimate of a node's size, not a measurement; the check is made before a
 * request changes anything, so a few requests in flight may pass the limit by their own nodes.
 */
public final class TableHeap {
    /** One node: its object, its slot array's header and {@link ChunkTable#FANOUT} references. */
    static final long NODE_BYTES = 16 + 16 + (long) ChunkTable.FANOUT * referenceBytes();

    private static final AtomicLong HELD = new AtomicLong();
    private static final long LIMIT = Long.getLong("ramdiskfs.tableHeapLimit", Runtime.getRuntime().maxMemory() / 2);

    private TableHeap() {}

    /** Heap held by chunk tables now (estimated). */
    public static long held() {
        return HELD.get();
    }

    public static long limit() {
        return LIMIT;
    }

    /** True while the tables are below the limit, so a request may make new nodes. */
    static boolean hasRoom() {
        return HELD.get() < LIMIT;
    }

    static void charge(long bytes) {
        HELD.addAndGet(bytes);
    }

    static void credit(long bytes) {
        HELD.addAndGet(-bytes);
    }

    /** Compressed references below 32 GiB of heap (the JVM's default), full words above. */
    private static int referenceBytes() {
        return Runtime.getRuntime().maxMemory() < (32L << 30) ? 4 : 8;
    }
}

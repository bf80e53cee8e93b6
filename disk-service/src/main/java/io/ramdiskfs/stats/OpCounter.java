package io.ramdiskfs.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one kind of request (reads, writes or discards of one disk) did since the mount:
 * operations, bytes, failures and latencies. {@link #record} runs once per request on the I/O
 * path: two clock reads and three atomic additions, no allocation, no lock — and no memory written
 * by two worker threads. Each thread adds to a stripe of its own (by thread id, as
 * {@link io.ramdiskfs.disk.RequestGate} does), a block of cache lines holding bytes, time, errors
 * and the latency buckets; a reading sums the stripes. (A {@code LongAdder} per figure would share
 * its base word between the workers until it sees a collision, and spreads one request over three
 * objects and their cells.) The operation count is the buckets' total, so it is not counted twice.
 */
public final class OpCounter {
    /**
     * Off only for the A/B measurement of what counting costs ({@code -Dramdiskfs.stats=false}):
     * a constant, so the JIT drops the clock reads and the additions altogether.
     */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("ramdiskfs.stats", "true"));

    /** Two per CPU, a power of two, at most 16: workers seldom share one, and a disk's counters stay a few KiB. */
    static final int STRIPES = Math.min(16, Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors() - 1));
    private static final int BYTES = 0;
    private static final int NANOS = 1;
    private static final int ERRORS = 2;
    private static final int FIRST_BUCKET = 3;
    /** Longs per stripe, rounded up to whole 128-byte pairs of lines (against adjacent-line prefetch). */
    private static final int BLOCK = (FIRST_BUCKET + LatencyHistogram.BUCKETS + 15) / 16 * 16;

    private final AtomicLongArray cells = new AtomicLongArray(STRIPES * BLOCK);

    /** The start of a request, for {@link #record}; 0 when counting is off. */
    public static long start() {
        return ENABLED ? System.nanoTime() : 0;
    }

    private static int stripe() {
        return (int) (Thread.currentThread().getId() & (STRIPES - 1)) * BLOCK;
    }

    /** A request that moved {@code n} bytes and began at {@code startNanos} ({@link #start}). */
    public void record(long n, long startNanos) {
        if (!ENABLED) {
            return;
        }
        long took = System.nanoTime() - startNanos;
        int s = stripe();
        cells.getAndAdd(s + BYTES, n);
        cells.getAndAdd(s + NANOS, took);
        cells.getAndIncrement(s + FIRST_BUCKET + LatencyHistogram.bucket(took));
    }

    /** A request that failed (its bytes and latency are not counted). */
    public void failed() {
        cells.getAndIncrement(stripe() + ERRORS);
    }

    /** The counts now (each exact, but not from one instant while requests run). */
    public OpStats snapshot() {
        long bytes = 0;
        long nanos = 0;
        long errors = 0;
        long[] latency = new long[LatencyHistogram.BUCKETS];
        for (int s = 0; s < STRIPES * BLOCK; s += BLOCK) {
            bytes += cells.get(s + BYTES);
            nanos += cells.get(s + NANOS);
            errors += cells.get(s + ERRORS);
            for (int b = 0; b < latency.length; b++) {
                latency[b] += cells.get(s + FIRST_BUCKET + b);
            }
        }
        return new OpStats(bytes, errors, nanos, latency);
    }
}

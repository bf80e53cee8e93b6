package io.ramdiskfs.stats;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one kind of request (reads, writes or discards of one disk) did since the mount:
 * operations, bytes, failures and latencies. {@link #record} runs once per request on the I/O
 * path: three {@link LongAdder} additions and a binary search, no allocation, no lock.
 * The operation count is the histogram's total, so it is not counted twice.
 */
public final class OpCounter {
    /**
     * Off only for the A/B measurement of what counting costs ({@code -Dramdiskfs.stats=false}):
     * a constant, so the JIT drops the clock reads and the additions altogether.
     */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("ramdiskfs.stats", "true"));

    private final LongAdder bytes = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LatencyHistogram latency = new LatencyHistogram();

    /** The start of a request, for {@link #record}; 0 when counting is off. */
    public static long start() {
        return ENABLED ? System.nanoTime() : 0;
    }

    /** A request that moved {@code n} bytes and began at {@code startNanos} ({@link #start}). */
    public void record(long n, long startNanos) {
        if (!ENABLED) {
            return;
        }
        long took = System.nanoTime() - startNanos;
        bytes.add(n);
        nanos.add(took);
        latency.record(took);
    }

    /** A request that failed (its bytes and latency are not counted). */
    public void failed() {
        errors.increment();
    }

    public OpStats snapshot() {
        return new OpStats(bytes.sum(), errors.sum(), nanos.sum(), latency.counts());
    }
}

package io.ramdiskfs.stats;

import java.util.Arrays;

/**
 * A reading of an {@link OpCounter}: the figures {@code ramdiskfs status} and {@code /metrics}
 * show. Taken while requests run, the fields are each exact but not from one instant.
 *
 * @param bytes         bytes read, written or discarded by the requests that succeeded
 * @param errors        requests that failed
 * @param totalNanos    the sum of the successful requests' latencies
 * @param latencyCounts requests per {@link LatencyHistogram} bucket; {@code length} is
 *                      {@code LatencyHistogram.bounds().length + 1}
 */
public record OpStats(long bytes, long errors, long totalNanos, long[] latencyCounts) {
    public OpStats {
        if (latencyCounts.length != LatencyHistogram.BUCKETS) {
            throw new IllegalArgumentException("latency counts has " + latencyCounts.length + " buckets, not "
                    + (LatencyHistogram.BUCKETS));
        }
        latencyCounts = latencyCounts.clone();
    }

    /** Nothing counted. */
    public static OpStats none() {
        return new OpStats(0, 0, 0, new long[LatencyHistogram.BUCKETS]);
    }

    @Override
    public long[] latencyCounts() {
        return latencyCounts.clone();
    }

    /** Successful requests. */
    public long operations() {
        long n = 0;
        for (long c : latencyCounts) {
            n += c;
        }
        return n;
    }

    /** Requests at or under {@code boundNanos}, which must be one of the bucket bounds. */
    public long countAtMost(long boundNanos) {
        int b = Arrays.binarySearch(LatencyHistogram.BOUNDS, boundNanos);
        if (b < 0) {
            throw new IllegalArgumentException(boundNanos + " ns is not a bucket bound");
        }
        long n = 0;
        for (int i = 0; i <= b; i++) {
            n += latencyCounts[i];
        }
        return n;
    }

    /** Mean latency in nanoseconds, 0 without requests. */
    public double meanNanos() {
        long ops = operations();
        return ops == 0 ? 0 : (double) totalNanos / ops;
    }

    /**
     * The latency under which {@code q} (0 < q <= 1) of the requests fall, in nanoseconds,
     * interpolated linearly inside its bucket (as Prometheus' {@code histogram_quantile} does);
     * 0 without requests. Above the last bound (10 s) it answers that bound.
     */
    public double percentileNanos(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile " + q + " is not in (0, 1]");
        }
        long total = operations();
        if (total == 0) {
            return 0;
        }
        double rank = q * total;
        long below = 0;
        long[] bounds = LatencyHistogram.BOUNDS;
        for (int i = 0; i < latencyCounts.length; i++) {
            long c = latencyCounts[i];
            if (c > 0 && below + c >= rank) {
                if (i == bounds.length) {
                    return bounds[bounds.length - 1];
                }
                double lower = i == 0 ? 0 : bounds[i - 1];
                return lower + (bounds[i] - lower) * ((rank - below) / c);
            }
            below += c;
        }
        return bounds[bounds.length - 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpStats s && bytes == s.bytes && errors == s.errors && totalNanos == s.totalNanos
                && Arrays.equals(latencyCounts, s.latencyCounts);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bytes) * 31 + Arrays.hashCode(latencyCounts);
    }

    @Override
    public String toString() {
        return "OpStats[operations=" + operations() + ", bytes=" + bytes + ", errors=" + errors + ", totalNanos=" + totalNanos + "]";
    }
}

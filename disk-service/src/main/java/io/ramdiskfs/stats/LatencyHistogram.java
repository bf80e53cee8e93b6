package io.ramdiskfs.stats;

import java.util.Arrays;

/**
 * The buckets request latencies are counted in ({@link OpCounter} keeps the counts).
 *
 * <p>The bounds are a log scale from 1 µs to 10 s, twelve per decade (1, 1.25, 1.5, 1.75, 2, 2.5,
 * 3, 3.5, 4, 5, 6, 8 × 10^k ns): neighbours differ by at most a third, so a percentile read from
 * them is within that of the truth, and every bound a Prometheus histogram of a RAM disk wants
 * (5 µs, 10 µs, 25 µs ... 10 ms) is one of them exactly. A bucket holds the values up to and
 * including its bound ({@code le}, as Prometheus counts), the last one everything above 10 s.
 */
public final class LatencyHistogram {
    private LatencyHistogram() {}

    private static final double[] PER_DECADE = {1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 8};
    /** Upper bounds in nanoseconds, ascending; bucket {@code BOUNDS.length} is the overflow. */
    static final long[] BOUNDS = makeBounds();
    /** Buckets in all: one per bound, and the overflow. */
    static final int BUCKETS = BOUNDS.length + 1;

    private static long[] makeBounds() {
        long[] b = new long[7 * PER_DECADE.length + 1];
        int i = 0;
        long decade = 1_000; // 1 µs
        for (int d = 0; d < 7; d++, decade *= 10) {
            for (double m : PER_DECADE) {
                b[i++] = Math.round(m * decade);
            }
        }
        b[i] = 10_000_000_000L; // 10 s
        return b;
    }

    /** The upper bounds, in nanoseconds, of every bucket but the last (a copy). */
    public static long[] bounds() {
        return BOUNDS.clone();
    }

    /** {@code FIRST[k]}: the first bucket whose bound is at least 2^k ns. */
    private static final byte[] FIRST = firstPerOctave();

    private static byte[] firstPerOctave() {
        byte[] f = new byte[64];
        for (int k = 0; k < 64; k++) {
            int i = Arrays.binarySearch(BOUNDS, 1L << k);
            f[k] = (byte) (k == 63 ? BOUNDS.length : i >= 0 ? i : -i - 1);
        }
        return f;
    }

    /**
     * The bucket a latency falls in: the first whose bound is at least {@code nanos}. The
     * power of two below the value (one instruction) leads to its octave, which holds three or
     * four bounds: a few predictable steps instead of a binary search's seven unpredictable ones.
     */
    static int bucket(long nanos) {
        if (nanos <= BOUNDS[0]) {
            return 0; // also a clock that stepped back: fast, not a crash
        }
        int i = FIRST[63 - Long.numberOfLeadingZeros(nanos)];
        while (i < BOUNDS.length && BOUNDS[i] < nanos) {
            i++;
        }
        return i;
    }
}

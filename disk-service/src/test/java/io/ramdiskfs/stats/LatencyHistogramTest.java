package io.ramdiskfs.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    private static final long[] B = LatencyHistogram.bounds();

    @Test
    void boundsRunFromOneMicrosecondToTenSecondsTwelvePerDecade() {
        assertEquals(1_000, B[0]);
        assertEquals(10_000_000_000L, B[B.length - 1]);
        assertEquals(85, B.length);
        for (int i = 1; i < B.length; i++) {
            assertTrue(B[i] > B[i - 1], "ascending at " + i);
            assertTrue((double) B[i] / B[i - 1] <= 4.0 / 3 + 1e-9, "neighbours within a third at " + i);
        }
    }

    @Test
    void everyPrometheusBucketIsABound() {
        for (long b : new long[] {5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 10_000_000}) {
            assertTrue(java.util.Arrays.binarySearch(B, b) >= 0, b + " ns");
        }
    }

    @Test
    void aValueGoesToTheFirstBucketWhoseBoundHoldsIt() {
        assertEquals(0, LatencyHistogram.bucket(0));
        assertEquals(0, LatencyHistogram.bucket(1_000)); // le: the bound itself is inside
        assertEquals(1, LatencyHistogram.bucket(1_001));
        assertEquals(1, LatencyHistogram.bucket(1_250));
        assertEquals(B.length - 1, LatencyHistogram.bucket(10_000_000_000L));
        assertEquals(B.length, LatencyHistogram.bucket(Long.MAX_VALUE)); // overflow
        assertEquals(0, LatencyHistogram.bucket(-5)); // a clock step back counts as fast, not as a crash
    }

    @Test
    void theFastBucketAgreesWithABinarySearchEverywhere() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int n = 0; n < 200_000; n++) {
            long v = n < 64 ? 1L << n : n < 128 ? (1L << (n - 64)) - 1 : r.nextLong(1L << r.nextInt(1, 63));
            int i = java.util.Arrays.binarySearch(B, v);
            assertEquals(v <= 0 ? 0 : i >= 0 ? i : -i - 1, LatencyHistogram.bucket(v), "value " + v);
        }
        for (long b : B) {
            assertEquals(java.util.Arrays.binarySearch(B, b), LatencyHistogram.bucket(b));
            assertEquals(java.util.Arrays.binarySearch(B, b) + 1, LatencyHistogram.bucket(b + 1));
        }
    }

    @Test
    void concurrentRecordsAreAllCounted() throws InterruptedException {
        OpCounter h = new OpCounter();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                for (int i = 0; i < 100_000; i++) {
                    h.record(1, System.nanoTime() - 7_000);
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        OpStats s = h.snapshot();
        assertEquals(400_000, s.operations(), "every record counted, over threads sharing stripes or not");
        assertEquals(400_000, s.bytes());
        assertEquals(0, s.countAtMost(B[LatencyHistogram.bucket(7_000) - 1]), "each took 7 µs or more (the clock ran on)");
    }

    @Test
    void percentilesInterpolateInsideTheBucket() {
        long[] c = new long[B.length + 1];
        c[LatencyHistogram.bucket(10_000)] = 100; // (8 µs, 10 µs]
        OpStats s = new OpStats(0, 0, 100 * 9_000L, c);
        assertEquals(9_000, s.percentileNanos(0.5), 1e-6);
        assertEquals(10_000, s.percentileNanos(1.0), 1e-6);
        assertEquals(8_020, s.percentileNanos(0.01), 1e-6);
        assertEquals(9_000, s.meanNanos(), 1e-6);
    }

    @Test
    void percentilesOfTwoPopulationsFindTheTail() {
        long[] c = new long[B.length + 1];
        c[LatencyHistogram.bucket(5_000)] = 990; // 99 % at (4, 5] µs
        c[LatencyHistogram.bucket(1_000_000)] = 10; // 1 % at (800 µs, 1 ms]
        OpStats s = new OpStats(0, 0, 0, c);
        assertTrue(s.percentileNanos(0.5) > 4_000 && s.percentileNanos(0.5) <= 5_000);
        assertTrue(s.percentileNanos(0.99) <= 5_000, "p99 " + s.percentileNanos(0.99));
        assertTrue(s.percentileNanos(0.999) > 800_000 && s.percentileNanos(0.999) <= 1_000_000);
        assertEquals(1000, s.operations());
        assertEquals(990, s.countAtMost(5_000));
        assertEquals(1000, s.countAtMost(1_000_000));
    }

    @Test
    void noRequestsHaveNoLatencyAndTheOverflowAnswersTheLastBound() {
        assertEquals(0, OpStats.none().percentileNanos(0.99));
        long[] c = new long[B.length + 1];
        c[B.length] = 1;
        assertEquals(10_000_000_000.0, new OpStats(0, 0, 0, c).percentileNanos(0.5));
        assertThrows(IllegalArgumentException.class, () -> OpStats.none().percentileNanos(0));
        assertThrows(IllegalArgumentException.class, () -> OpStats.none().countAtMost(4_321));
    }

    @Test
    void anOpCounterCountsBytesOperationsAndFailures() {
        OpCounter c = new OpCounter();
        long start = OpCounter.start();
        c.record(4096, start);
        c.record(512, start);
        c.failed();
        OpStats s = c.snapshot();
        assertEquals(2, s.operations());
        assertEquals(4608, s.bytes());
        assertEquals(1, s.errors());
        assertTrue(s.totalNanos() >= 0);
        assertArrayEquals(s.latencyCounts(), s.latencyCounts()); // a copy each time, equal
    }
}

package io.ramdiskfs.stats;

import java.util.concurrent.CyclicBarrier;

/**
 * What counting one request costs, in nanoseconds: {@code OpCounter.start()} plus
 * {@code record()}, one thread and several on one counter (as the FUSE workers share a disk's).
 * Run: {@code java -cp disk-service/target/classes:disk-service/target/test-classes
 * io.ramdiskfs.stats.CounterCost [THREADS]}. A 4 KiB
 * request through FUSE takes 10-40 µs here, so 2 % of it is 200-800 ns.
 */
public final class CounterCost {
    private static volatile long sink;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        OpCounter c = new OpCounter();
        for (int round = 0; round < 5; round++) {
            System.out.printf("round %d: 1 thread %.1f ns/request, %d threads %.1f ns/request, nanoTime alone %.1f ns%n", round,
                    perOp(c, 1), threads, perOp(c, threads), nanoTimeOnly());
        }
        System.out.println(c.snapshot());
    }

    private static double perOp(OpCounter c, int threads) throws Exception {
        int n = 5_000_000;
        CyclicBarrier go = new CyclicBarrier(threads + 1);
        Thread[] t = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            t[i] = new Thread(() -> {
                try {
                    go.await();
                } catch (Exception e) {
                    return;
                }
                for (int k = 0; k < n; k++) {
                    long s = OpCounter.start();
                    c.record(4096, s);
                }
            });
            t[i].start();
        }
        go.await();
        long t0 = System.nanoTime();
        for (Thread x : t) {
            x.join();
        }
        return (double) (System.nanoTime() - t0) / n; // wall time per request per thread
    }

    private static double nanoTimeOnly() {
        int n = 5_000_000;
        long t0 = System.nanoTime();
        long acc = 0;
        for (int k = 0; k < n; k++) {
            acc += System.nanoTime();
        }
        sink = acc;
        return (double) (System.nanoTime() - t0) / n;
    }
}

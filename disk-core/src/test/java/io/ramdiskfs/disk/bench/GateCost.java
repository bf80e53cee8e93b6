package io.ramdiskfs.disk.bench;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import java.util.concurrent.CyclicBarrier;

/**
 * What the request gate costs a 4 KiB read or write through {@link io.ramdiskfs.disk.DiskBytes}
 * (it enters the gate once per request), against the same operation on the RAM layer directly
 * (no gate, no chain): one and two threads, on different chunks of one disk, as FUSE workers do.
 * Run: {@code java -cp disk-core/target/classes:disk-core/target/test-classes:$(ls
 * ~/.m2/repository/org/slf4j/slf4j-api/*&#47;*.jar | head -1) io.ramdiskfs.disk.bench.GateCost}.
 * A 4 KiB request through FUSE takes 10-40 µs here.
 */
public final class GateCost {
    public static void main(String[] args) throws Exception {
        MemoryBudget budget = new MemoryBudget(1L << 30);
        RamLayer bare = RamLayer.create(256L << 20, 512, budget);
        LayeredDisk disk = LayeredDisk.of(RamLayer.create(256L << 20, 512, budget), false);
        long buf = NativeMemory.allocate(2L * 4096 * 64);
        io.ramdiskfs.disk.RequestGate gate = new io.ramdiskfs.disk.RequestGate();
        for (int round = 0; round < 5; round++) {
            for (int threads : new int[] {1, 2}) {
                double layerW = perOp(threads, (t, k) -> bare.write(null, buf + t * 4096L, sector(t, k), 8, false));
                double diskW = perOp(threads, (t, k) -> disk.bytes().write(sector(t, k) * 512, null, buf + t * 4096L, 4096));
                double layerR = perOp(threads, (t, k) -> bare.read(null, buf + t * 4096L, sector(t, k), 8, null));
                double diskR = perOp(threads, (t, k) -> disk.bytes().read(sector(t, k) * 512, null, buf + t * 4096L, 4096));
                double gateOnly = perOp(threads, (t, k) -> gate.exit(gate.enter()));
                System.out.printf("round %d, %d thread(s): write %.0f ns layer / %.0f ns disk (+%.0f); read %.0f / %.0f (+%.0f);"
                        + " the gate alone %.1f ns%n", round, threads, layerW, diskW, diskW - layerW, layerR, diskR, diskR - layerR, gateOnly);
            }
        }
    }

    /** Thread t writes its own 4 KiB blocks, spread over the disk. */
    private static long sector(int t, int k) {
        return ((k * 7919L + t * 65536L) % 65536L) * 8;
    }

    interface Op {
        void run(int thread, int k) throws Exception;
    }

    private static double perOp(int threads, Op op) throws Exception {
        int n = 2_000_000;
        CyclicBarrier go = new CyclicBarrier(threads + 1);
        Thread[] t = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            t[i] = new Thread(() -> {
                try {
                    go.await();
                    for (int k = 0; k < n; k++) {
                        op.run(id, k);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t[i].start();
        }
        go.await();
        long start = System.nanoTime();
        for (Thread x : t) {
            x.join();
        }
        return (System.nanoTime() - start) / (double) n;
    }
}

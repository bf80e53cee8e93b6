package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several threads on one disk: writes of disjoint and overlapping ranges, unaligned writes that
 * share sectors, reads, unmaps and resizes running at the same time; then a full check.
 */
class ConcurrencyTest {
    static final int SS = 512;
    static final int THREADS = 4;
    static final int SIZE = 2 * 1024 * 1024;
    static final int SECTORS = SIZE / SS;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    final ExecutorService pool = Executors.newCachedThreadPool();
    final AtomicBoolean stop = new AtomicBoolean();
    LayeredDisk disk;

    @AfterEach
    void close() throws InterruptedException {
        stop.set(true);
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        if (disk != null) {
            disk.close();
        }
        assertEquals(0, budget.used());
    }

    LayeredDisk overImage() throws Exception {
        return TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base.img", SIZE, 0, SS));
    }

    @FunctionalInterface
    interface Task {
        void run(int thread) throws Exception;
    }

    /** Runs {@code workers} and {@code helpers} together; helpers run until every worker is done. */
    void runTogether(int workers, Task work, Task... helpers) throws Exception {
        CyclicBarrier start = new CyclicBarrier(workers + helpers.length);
        List<Future<?>> ws = new ArrayList<>();
        List<Future<?>> hs = new ArrayList<>();
        for (int t = 0; t < workers; t++) {
            int id = t;
            ws.add(pool.submit(() -> {
                start.await();
                work.run(id);
                return null;
            }));
        }
        for (int h = 0; h < helpers.length; h++) {
            int id = h;
            Task helper = helpers[h];
            hs.add(pool.submit(() -> {
                start.await();
                helper.run(id);
                return null;
            }));
        }
        try {
            for (Future<?> f : ws) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
        }
        for (Future<?> f : hs) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    /** The generation of a sector that holds one whole pattern, or a failure naming it. */
    static int wholeSectorGeneration(byte[] b, int index, long sector) {
        int gen = (b[index + 3] & 0xff);
        String m = SectorPattern.mismatch(b, index, SS, sector * SS, gen, SS);
        if (m != null) {
            fail("torn sector " + sector + ": " + m);
        }
        return gen;
    }

    @Test
    void threadsWritingDisjointRangesAllLand() throws Exception {
        disk = overImage();
        int block = 37;
        int blocks = SECTORS / block;
        runTogether(THREADS, t -> {
            for (int round = 1; round <= 15; round++) {
                for (int b = t; b < blocks; b += THREADS) {
                    TestDisks.write(disk, (long) b * block, block, round * 16 + t);
                }
            }
        });
        byte[] all = TestDisks.contents(disk);
        for (int b = 0; b < blocks; b++) {
            int off = b * block * SS;
            SectorPattern.check(all, off, block * SS, off, 15 * 16 + b % THREADS, SS);
        }
        int rest = blocks * block * SS;
        SectorPattern.check(all, rest, SIZE - rest, rest, 0, SS);
    }

    @Test
    void overlappingWritesNeverTearASectorWhileReadersWatch() throws Exception {
        disk = overImage();
        runTogether(THREADS, t -> {
            Random rnd = new Random(t);
            for (int i = 0; i < 3000; i++) {
                int count = 1 + rnd.nextInt(300);
                long sector = rnd.nextInt(SECTORS - count);
                TestDisks.write(disk, sector, count, 1 + t + THREADS * (i % 8));
            }
        }, r -> {
            Random rnd = new Random(100 + r);
            while (!stop.get()) {
                int count = 1 + rnd.nextInt(300);
                long sector = rnd.nextInt(SECTORS - count);
                byte[] b = TestDisks.read(disk, sector, count);
                for (int s = 0; s < count; s++) {
                    wholeSectorGeneration(b, s * SS, sector + s);
                }
            }
        });
        byte[] all = TestDisks.contents(disk);
        for (int s = 0; s < SECTORS; s++) {
            wholeSectorGeneration(all, s * SS, s);
        }
    }

    /**
     * Each thread owns 128-byte slices, placed so that every sector holds slices of several
     * threads and some slices straddle two sectors. Every write is an unaligned read-modify-write
     * of shared sectors; none may lose another thread's bytes.
     */
    @Test
    void unalignedWritesToSharedSectorsLoseNoUpdate() throws Exception {
        disk = overImage();
        DiskBytes bytes = disk.bytes();
        int region = 256 * 1024;
        int slice = 128;
        int slices = region / slice - 1;
        int rounds = 40;
        runTogether(THREADS, t -> {
            byte[] data = new byte[slice];
            int offset = t * 31;
            for (int round = 1; round <= rounds; round++) {
                for (int k = 0; k < slices; k++) {
                    int i = (k + offset) % slices;
                    if (i % THREADS != t) {
                        continue;
                    }
                    long pos = 64 + (long) i * slice;
                    SectorPattern.fill(data, 0, slice, pos, round * 16 + t);
                    bytes.write(pos, data, BYTES, slice);
                }
            }
        }, r -> {
            // Punches and rewrites of a region nobody else writes, with partial sectors at both ends.
            Random rnd = new Random(r);
            byte[] junk = new byte[3000];
            while (!stop.get()) {
                long pos = region + 100 + rnd.nextInt(region - 4000);
                bytes.write(pos, junk, BYTES, junk.length);
                bytes.unmap(pos + 1, junk.length - 2);
            }
        }, r -> {
            byte[] b = new byte[5000];
            Random rnd = new Random(7);
            while (!stop.get()) {
                bytes.read(rnd.nextInt(SIZE - 5000), b, BYTES, b.length);
            }
        });
        byte[] all = new byte[SIZE];
        bytes.read(0, all, BYTES, SIZE);
        SectorPattern.check(all, 0, 64, 0, 0, SS);
        for (int i = 0; i < slices; i++) {
            long pos = 64 + (long) i * slice;
            String m = SectorPattern.mismatch(all, (int) pos, slice, pos, rounds * 16 + i % THREADS, SS);
            if (m != null) {
                fail("slice " + i + " of thread " + i % THREADS + " lost its last write: " + m);
            }
        }
        long end = 64 + (long) slices * slice;
        SectorPattern.check(all, (int) end, region - (int) end, end, 0, SS);
    }

    @Test
    void writesWithinTheSmallestSizeSurviveConcurrentResizes() throws Exception {
        disk = overImage();
        DiskBytes bytes = disk.bytes();
        int keep = SIZE / 2;
        int piece = 1000;
        int pieces = keep / piece;
        runTogether(THREADS, t -> {
            byte[] data = new byte[piece];
            for (int round = 1; round <= 12; round++) {
                for (int i = t; i < pieces; i += THREADS) {
                    long pos = (long) i * piece;
                    SectorPattern.fill(data, 0, piece, pos, round * 16 + t);
                    bytes.write(pos, data, BYTES, piece);
                }
            }
        }, r -> {
            Random rnd = new Random(r);
            bytes.resize(keep);
            while (!stop.get()) {
                bytes.resize(keep + (long) SS * rnd.nextInt((SIZE - keep) / SS + 1));
            }
            bytes.resize(SIZE);
        });
        byte[] all = new byte[SIZE];
        assertEquals(SIZE, bytes.read(0, all, BYTES, SIZE));
        for (int i = 0; i < pieces; i++) {
            int pos = i * piece;
            SectorPattern.check(all, pos, piece, pos, 12 * 16 + i % THREADS, SS);
        }
        int end = pieces * piece;
        SectorPattern.check(all, end, keep - end, end, 0, SS);
        SectorPattern.checkZeros(all, keep, SIZE - keep, keep, SS);
    }

    @Test
    void cacheFillsNeverHideConcurrentWrites() throws Exception {
        disk = LayeredDisk.create(false, List.of(new LayerConfiguration(RamLayer.over(budget), false, true),
                LayerConfiguration.of(TestDisks.patternImage(dir, "base.img", SIZE, 0, SS))));
        int block = 19;
        int blocks = SECTORS / block / 2;
        runTogether(2, t -> {
            for (int round = 1; round <= 10; round++) {
                for (int b = t; b < blocks; b += 2) {
                    TestDisks.write(disk, (long) b * 2 * block, block, round * 16 + t);
                }
            }
        }, r -> {
            Random rnd = new Random(r);
            while (!stop.get()) {
                int count = 1 + rnd.nextInt(200);
                TestDisks.read(disk, rnd.nextInt(SECTORS - count), count);
            }
        }, r -> {
            while (!stop.get()) {
                TestDisks.read(disk, 0, SECTORS);
            }
        });
        byte[] all = TestDisks.contents(disk);
        for (int b = 0; b < blocks; b++) {
            int off = b * 2 * block * SS;
            SectorPattern.check(all, off, block * SS, off, 10 * 16 + b % 2, SS);
            SectorPattern.check(all, off + block * SS, block * SS, off + block * SS, 0, SS);
        }
    }
}

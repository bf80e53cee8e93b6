package io.ramdiskfs.fs;

import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.SECTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Partial-sector writes through separate handles lose no update to each other, nor to growth. */
@Timeout(60)
class ConcurrencyTest {
    private static final int THREADS = 8;

    private static void runAll(List<Callable<Void>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<Void>> results = new ArrayList<>();
            for (Callable<Void> t : tasks) {
                results.add(pool.submit(t));
            }
            for (Future<Void> r : results) {
                r.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void interleavedSingleByteWritesToTheSameSectorsAreAllKept() throws Exception {
        int sectors = 16;
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", sectors * SECTOR);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                tasks.add(() -> {
                    long fh = fx.dir.open("/disk0", O_RDWR);
                    start.await();
                    for (int pos = me; pos < sectors * SECTOR; pos += THREADS) {
                        fx.write(fh, pos, new byte[] {Fixture.patternByte(pos, 1)});
                    }
                    fx.dir.release(fh);
                    return null;
                });
            }
            runAll(tasks);
            long fh = fx.dir.open("/disk0", O_RDWR);
            fx.assertPattern(fh, 0, sectors * SECTOR, 1);
        }
    }

    @Test
    void concurrentWritesPastTheEndEachGrowAndKeepTheirData() throws Exception {
        int pieces = 200;
        int piece = 700;
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 0);
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                tasks.add(() -> {
                    long fh = fx.dir.open("/disk0", O_RDWR);
                    start.await();
                    for (int i = me; i < pieces; i += THREADS) {
                        fx.writePattern(fh, (long) i * piece, piece, 2);
                    }
                    fx.dir.release(fh);
                    return null;
                });
            }
            runAll(tasks);
            long fh = fx.dir.open("/disk0", O_RDWR);
            long end = (long) pieces * piece;
            assertEquals((end + SECTOR - 1) / SECTOR * SECTOR, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, (int) end, 2);
        }
    }

    @Test
    void openAndReleaseFromManyThreadsLeavesNoHandleBehind() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 2000; i++) {
                        long fh = fx.dir.open("/disk0", O_RDWR);
                        if (fx.dir.file(fh).size() != 4096) {
                            fail("handle " + fh + " finds the wrong disk");
                        }
                        fx.dir.release(fh);
                    }
                    return null;
                });
            }
            runAll(tasks);
            assertEquals(0, fx.dir.lookup("/disk0").openHandles(), "open handle count after all releases");
        }
    }
}

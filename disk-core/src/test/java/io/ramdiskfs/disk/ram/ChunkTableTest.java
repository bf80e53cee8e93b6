package io.ramdiskfs.disk.ram;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The chunk table's heap follows what it holds: nodes appear with the first chunk below them and
 * go with the last, whatever the table's nominal size, and concurrent writers of one node (as
 * different stripes are) never lose a chunk to a node that died under them.
 */
class ChunkTableTest {
    private static final long PETABYTE_CHUNKS = (1L << 50) / RamLayer.CHUNK_BYTES;

    @Test
    void anEmptyPetabyteCostsOneNode() {
        long before = TableHeap.held();
        ChunkTable t = new ChunkTable(PETABYTE_CHUNKS);
        assertEquals(TableHeap.NODE_BYTES, TableHeap.held() - before);
        t.close();
        assertEquals(before, TableHeap.held());
    }

    @Test
    void aChunkAtEveryGigabyteIsGivenBackWhenCleared() {
        long before = TableHeap.held();
        ChunkTable t = new ChunkTable(PETABYTE_CHUNKS);
        long gib = (1L << 30) / RamLayer.CHUNK_BYTES;
        Map<Long, Chunk> model = new HashMap<>();
        for (long i = 0; i < 4096; i++) {
            Chunk c = new Chunk(128);
            t.set(i * gib + 7, c);
            model.put(i * gib + 7, c);
        }
        long full = TableHeap.held() - before;
        assertTrue(full > 4096 * TableHeap.NODE_BYTES, "4096 leaves at least, held " + full);
        model.forEach((i, c) -> assertSame(c, t.get(i), "chunk " + i));
        assertNull(t.get(8), "chunk 8 was never stored");
        for (long i : model.keySet()) {
            t.set(i, null);
        }
        assertEquals(TableHeap.NODE_BYTES, TableHeap.held() - before, "after clearing every chunk only the root is left");
        for (long i : model.keySet()) {
            assertNull(t.get(i), "chunk " + i + " was cleared");
            assertTrue(t.leafAbsent(i));
        }
        t.close();
        assertEquals(before, TableHeap.held());
    }

    @Test
    void aScanSkipsTheWholeEmptySubtree() {
        ChunkTable t = new ChunkTable(PETABYTE_CHUNKS);
        long far = 3L << 30;
        t.set(far, new Chunk(128));
        assertTrue(t.leafAbsent(0));
        long end = t.absentEnd(0);
        assertTrue(end > ChunkTable.FANOUT, "skips more than a leaf: " + end);
        assertTrue(end <= far, "never past a stored chunk: " + end + " > " + far);
        long c = 0;
        int steps = 0;
        while (c < far) {
            c = t.leafAbsent(c) ? t.absentEnd(c) : c + 1;
            steps++;
        }
        assertTrue(steps < 64, "reached the chunk in " + steps + " steps");
        t.set(far, null);
        t.close();
    }

    @Test
    void growingKeepsEveryChunk() {
        long before = TableHeap.held();
        ChunkTable t = new ChunkTable(10);
        Chunk a = new Chunk(128);
        Chunk b = new Chunk(128);
        t.set(3, a);
        t.resize(PETABYTE_CHUNKS);
        t.set(PETABYTE_CHUNKS - 1, b);
        assertSame(a, t.get(3));
        assertSame(b, t.get(PETABYTE_CHUNKS - 1));
        t.set(3, null);
        t.set(PETABYTE_CHUNKS - 1, null);
        t.close();
        assertEquals(before, TableHeap.held());
    }

    /**
     * Threads own chunks as stripes do (chunk i belongs to thread i % THREADS) inside the same few
     * leaves, and store and clear them at random so that leaves die and are remade under each
     * other; each thread's chunks must read back as it left them.
     */
    @Test
    void writersOfOneLeafNeverLoseAChunk() throws Exception {
        final int threads = 4;
        final long span = 3L * ChunkTable.FANOUT;
        long before = TableHeap.held();
        ChunkTable t = new ChunkTable(1L << 30);
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] ts = new Thread[threads];
        for (int k = 0; k < threads; k++) {
            final int me = k;
            ts[k] = new Thread(() -> {
                Random r = new Random(me * 7919L);
                Chunk[] mine = new Chunk[(int) span];
                Chunk token = new Chunk(128);
                try {
                    start.await();
                    for (int op = 0; op < 400_000; op++) {
                        long i = (r.nextInt((int) span / threads) * (long) threads + me) % span;
                        boolean store = r.nextInt(3) != 0 && mine[(int) i] == null;
                        t.set(i, store ? token : null);
                        mine[(int) i] = store ? token : null;
                        if (op % 1024 == 0) {
                            for (long j = me; j < span; j += threads) {
                                assertSame(mine[(int) j], t.get(j), "thread " + me + ", chunk " + j + " after op " + op);
                            }
                        }
                    }
                    for (long j = me; j < span; j += threads) {
                        assertSame(mine[(int) j], t.get(j), "thread " + me + ", chunk " + j + " at the end");
                        t.set(j, null);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts[k].start();
        }
        for (Thread th : ts) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(TableHeap.NODE_BYTES, TableHeap.held() - before, "every leaf given back");
        for (long j = 0; j < span; j++) {
            assertFalse(t.get(j) != null, "chunk " + j + " left behind");
        }
        t.close();
    }
}

package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Chunk memory is resident only where data is, plus at most the populated-ahead margin, and
 * goes back to the kernel when chunks are freed. Residency is counted page by page with mincore.
 */
class MmapChunkAllocatorTest {
    private static final int CHUNK = 64 * 1024;
    private static final long MiB = 1 << 20;

    @Test
    void freshChunksAreZeroAndResidentMemoryFollowsUseWithinTheMarginAhead() throws Exception {
        MmapChunkAllocator a = MmapChunkAllocator.create(CHUNK);
        List<Long> chunks = new ArrayList<>();
        for (int i = 0; i < 160; i++) { // 10 MiB
            long c = a.allocate(CHUNK);
            for (long off = 0; off < CHUNK; off += 4096) {
                assertEquals(0, NativeMemory.getByte(null, c + off), "fresh chunk " + i + " at byte " + off + " is not zero");
            }
            NativeMemory.zero(null, c, CHUNK); // touch it, as a write would
            chunks.add(c);
        }
        long arena = chunks.stream().mapToLong(Long::longValue).min().getAsLong();
        long used = 160L * CHUNK;
        long rss = awaitStableRss(arena);
        assertTrue(rss > used, "resident " + rss + " bytes for " + used + " written: nothing was populated ahead"
                + " (MADV_POPULATE_WRITE needs Linux 5.14)");
        assertTrue(rss <= used + MmapChunkAllocator.AHEAD_BYTES + MmapChunkAllocator.POPULATE_BYTES,
                "resident " + rss + " bytes for " + used + " in use: more than the margin of "
                        + MmapChunkAllocator.AHEAD_BYTES + " ahead");

        for (long c : chunks) {
            a.free(c, CHUNK);
        }
        long after = awaitStableRss(arena);
        assertTrue(after <= MmapChunkAllocator.AHEAD_BYTES + MmapChunkAllocator.POPULATE_BYTES,
                "after freeing every chunk " + after + " bytes stay resident");

        long again = a.allocate(CHUNK);
        assertTrue(chunks.contains(again), "a freed chunk is reused before the arena grows");
        assertEquals(0, NativeMemory.getByte(null, again), "a reused chunk reads zero after MADV_DONTNEED");
    }

    /**
     * freeAll gives back a request's chunks in one madvise per run of neighbours: the memory goes,
     * and every chunk comes back zero and reusable, runs and strays alike.
     */
    @Test
    void chunksFreedTogetherLeaveRamAndComeBackZero() throws Exception {
        MmapChunkAllocator a = MmapChunkAllocator.create(CHUNK);
        long[] chunks = new long[48];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = a.allocate(CHUNK);
            for (long off = 0; off < CHUNK; off += 4096) {
                NativeMemory.putLong(chunks[i] + off, 0x7777_7777_7777_7777L); // data, as a write leaves it
            }
            NativeMemory.putByte(chunks[i] + CHUNK - 1, (byte) 0x77);
        }
        // Two runs and strays, out of order, as the layer hands them over.
        long[] freed = {chunks[20], chunks[3], chunks[4], chunks[2], chunks[21], chunks[40], chunks[5], chunks[22], chunks[30]};
        a.freeAll(freed.clone(), freed.length, CHUNK);
        long[] again = new long[freed.length];
        for (int i = 0; i < again.length; i++) {
            again[i] = a.allocate(CHUNK);
            for (long off = 0; off < CHUNK; off += 4096) {
                assertEquals(0, NativeMemory.getByte(null, again[i] + off), "a chunk freed together reads " 
                        + NativeMemory.getByte(null, again[i] + off) + " at byte " + off + " when reused");
            }
        }
        java.util.Arrays.sort(again);
        java.util.Arrays.sort(freed);
        org.junit.jupiter.api.Assertions.assertArrayEquals(freed, again, "the freed chunks are the ones reused");
        for (long c : chunks) {
            if (java.util.Arrays.binarySearch(freed, c) < 0) {
                assertEquals((byte) 0x77, NativeMemory.getByte(null, c + CHUNK - 1), "a chunk still in use lost its data");
            }
        }
    }

    /** Resident bytes of the mapping holding {@code address}, once the background warmer has settled. */
    private static long awaitStableRss(long address) throws Exception {
        long last = -1;
        for (int i = 0; i < 100; i++) {
            long now = rssOf(address);
            if (now == last) {
                return now;
            }
            last = now;
            Thread.sleep(50);
        }
        return last;
    }

    /** mincore(2), to count resident pages of exactly the arena range. */
    public interface Mincore {
        int mincore(@jnr.ffi.types.intptr_t long address, @jnr.ffi.types.size_t long length, @jnr.ffi.types.intptr_t long vec);
    }

    private static final Mincore LIBC = jnr.ffi.LibraryLoader.create(Mincore.class).load("c");

    /** Resident bytes in the 32 MiB from {@code address} (page aligned; all inside one arena). */
    private static long rssOf(long address) {
        long span = 32 * MiB;
        int pages = (int) (span / 4096);
        long vec = NativeMemory.allocate(pages);
        try {
            assertEquals(0, LIBC.mincore(address, span, vec), "mincore");
            long resident = 0;
            for (int i = 0; i < pages; i++) {
                resident += NativeMemory.getByte(null, vec + i) & 1;
            }
            return resident * 4096;
        } finally {
            NativeMemory.free(vec);
        }
    }
}

package io.ramdiskfs.disk.bench;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.ChunkAllocator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Page-aligned chunks carved from large native arenas, freed chunks reused: the layout fuse-mount's
 * {@code MmapChunkAllocator} gives a mount (which also returns freed chunks to the kernel), without
 * jnr. {@link ChunkAllocator#MALLOC}'s chunks start 16 bytes past a page boundary, so every 4 KiB
 * block straddles two pages and a copy into it is unaligned; the benchmark measures both.
 */
public final class ArenaChunkAllocator implements ChunkAllocator, AutoCloseable {
    private static final long ARENA_BYTES = 256L << 20;
    private static final long PAGE = 4096;

    private final List<Long> arenas = new ArrayList<>();
    private long next;
    private long end;
    private long[] free = new long[1024];
    private int freeCount;

    @Override
    public synchronized long allocate(int bytes) {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (next + bytes > end) {
            long raw = NativeMemory.allocate(ARENA_BYTES + PAGE);
            arenas.add(raw);
            next = (raw + PAGE - 1) & ~(PAGE - 1);
            end = next + ARENA_BYTES;
        }
        long p = next;
        next += bytes;
        return p;
    }

    @Override
    public synchronized void free(long address, int bytes) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, freeCount * 2);
        }
        free[freeCount++] = address;
    }

    /** Frees every arena; only once no layer uses this allocator any more. */
    @Override
    public synchronized void close() {
        for (long a : arenas) {
            NativeMemory.free(a);
        }
        arenas.clear();
        next = end = 0;
        freeCount = 0;
    }
}

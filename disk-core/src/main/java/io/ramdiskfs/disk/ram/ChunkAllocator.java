package io.ramdiskfs.disk.ram;

/**
 * Where a {@link RamLayer} gets the native memory of its chunks. The layer does the accounting
 * against its {@code MemoryBudget}; an allocator only maps and unmaps. A mount may supply one
 * that returns memory to the kernel more promptly than {@code malloc} does.
 */
public interface ChunkAllocator {
    /** Native memory of {@code bytes}; contents undefined. Throws OutOfMemoryError on failure. */
    long allocate(int bytes);

    /** Gives back memory from {@link #allocate} of the same size. */
    void free(long address, int bytes);

    /**
     * Gives back {@code count} chunks of {@code bytes} at {@code addresses[0, count)} (which it may
     * reorder): what one request freed, which an allocator may return in fewer system calls.
     */
    default void freeAll(long[] addresses, int count, int bytes) {
        for (int i = 0; i < count; i++) {
            free(addresses[i], bytes);
        }
    }

    /** The C heap ({@code malloc}/{@code free}). */
    ChunkAllocator MALLOC = new ChunkAllocator() {
        @Override
        public long allocate(int bytes) {
            return io.ramdiskfs.disk.NativeMemory.allocate(bytes);
        }

        @Override
        public void free(long address, int bytes) {
            io.ramdiskfs.disk.NativeMemory.free(address);
        }

        @Override
        public String toString() {
            return "malloc";
        }
    };
}

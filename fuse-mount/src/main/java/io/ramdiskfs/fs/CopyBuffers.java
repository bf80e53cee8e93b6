package io.ramdiskfs.fs;

import io.ramdiskfs.disk.NativeMemory;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The native buffers a {@code copy_file_range} that cannot share layers copies through: a few
 * kept for reuse, so the copy allocates nothing in the steady state, and any beyond them freed
 * when their copy ends. (One per thread, kept for the thread's life, leaked 1 MiB for every
 * thread outside the worker pool that ever copied.) Lock-free and without boxing.
 */
final class CopyBuffers {
    static final int BYTES = 1 << 20;
    /** As many as copies usually run at once: the FUSE workers. */
    private static final int KEPT = 4;
    private static final AtomicLongArray FREE = new AtomicLongArray(KEPT);

    private CopyBuffers() {}

    /** A buffer of {@link #BYTES}: a kept one, or a new one. */
    static long take() {
        for (int i = 0; i < KEPT; i++) {
            long address = FREE.getAndSet(i, 0);
            if (address != 0) {
                return address;
            }
        }
        return NativeMemory.allocate(BYTES);
    }

    /** Gives {@code address} back: kept if there is room, else freed. */
    static void give(long address) {
        for (int i = 0; i < KEPT; i++) {
            if (FREE.compareAndSet(i, 0, address)) {
                return;
            }
        }
        NativeMemory.free(address);
    }

    /** Buffers kept now (for tests). */
    static int kept() {
        int n = 0;
        for (int i = 0; i < KEPT; i++) {
            n += FREE.get(i) != 0 ? 1 : 0;
        }
        return n;
    }
}

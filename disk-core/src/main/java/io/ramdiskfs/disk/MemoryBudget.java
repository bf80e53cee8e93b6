package io.ramdiskfs.disk;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One budget of data memory shared by every RAM layer of a process. Layers reserve before they
 * allocate and release when they free, so {@link #used()} is exactly the data memory held.
 * Lock-free: a reservation is one compare-and-set.
 */
public final class MemoryBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    public MemoryBudget(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("memory limit " + limit + " is negative");
        }
        this.limit = limit;
    }

    /** A budget that never refuses (tests, embedded use without a limit). */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    /** Reserves {@code bytes}; false, with nothing reserved, when that would pass the limit. */
    public boolean tryReserve(long bytes) {
        for (;;) {
            long u = used.get();
            if (bytes > limit - u) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        long after = used.addAndGet(-bytes);
        assert after >= 0 : "memory budget released more than it reserved: " + after;
    }

    public long limit() {
        return limit;
    }

    public long used() {
        return used.get();
    }

    public long available() {
        return limit - used.get();
    }

    @Override
    public String toString() {
        return "MemoryBudget(used " + used() + " of " + limit + ")";
    }
}

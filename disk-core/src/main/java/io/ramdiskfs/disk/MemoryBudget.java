package io.ramdiskfs.disk;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One budget of data memory shared by every RAM layer of a process. Layers reserve before they
 * allocate and release when they free, so {@link #used()} is exactly the data memory held.
 * Lock-free: a reservation is one compare-and-set.
 *
 * <p>The budget may share its limit with a {@link Neighbour}: memory under the same limit that
 * something else hands out and enforces (the passthrough disks' tmpfs, which the kernel fills
 * without asking the process). The budget then lends the neighbour a limit of its own and counts
 * the loan as reserved, so RAM layers plus the loan never pass the limit, and the neighbour's
 * own enforcement keeps it inside the loan. The loan moves in coarse steps, off the data path:
 * a reservation that does not fit takes memory back from the loan (only what the neighbour does
 * not hold), and a release that leaves two steps free lends all but one step out again. So a
 * RAM write pays a system call about once per step of memory, and the neighbour may be refused
 * up to two steps before the limit, never after it.
 */
public final class MemoryBudget {
    /** Loans are whole pages: the neighbour's limit is counted in pages. */
    private static final long PAGE = 4096;

    private final long limit;
    /** RAM layers' reservations plus {@link #lent}. */
    private final AtomicLong reserved = new AtomicLong();
    private final ReentrantLock loans = new ReentrantLock();
    private volatile Neighbour neighbour;
    /** The neighbour's limit; changed only under {@link #loans}. */
    private volatile long lent;
    private volatile long step = Long.MAX_VALUE / 4;

    /**
     * Memory under the budget's limit that someone else hands out and enforces within a limit
     * the budget sets.
     */
    public interface Neighbour {
        /** The memory it holds now. */
        long held();

        /**
         * Makes {@code bytes} (whole pages, at least one) its limit; false, with the old limit
         * kept, when it holds more than that.
         */
        boolean limitTo(long bytes);
    }

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

    /**
     * Shares the limit with {@code n}, lending it all of the limit that is free now (whole pages)
     * and moving the loan in steps of {@code stepBytes}.
     *
     * @throws IllegalStateException when a neighbour is set already or the first loan is refused
     */
    public void share(Neighbour n, long stepBytes) {
        if (stepBytes < PAGE) {
            throw new IllegalArgumentException("loan step " + stepBytes + " is less than a page");
        }
        loans.lock();
        try {
            if (neighbour != null) {
                throw new IllegalStateException("the memory budget is shared already");
            }
            long loan = Math.max(PAGE, (limit - reserved.get()) / PAGE * PAGE);
            reserved.addAndGet(loan);
            if (!n.limitTo(loan)) {
                reserved.addAndGet(-loan);
                throw new IllegalStateException("the neighbour refused a limit of " + loan + " bytes");
            }
            lent = loan;
            step = stepBytes;
            neighbour = n;
        } finally {
            loans.unlock();
        }
    }

    /** Reserves {@code bytes}; false, with nothing reserved, when that would pass the limit. */
    public boolean tryReserve(long bytes) {
        while (!tryReserveRaw(bytes)) {
            if (neighbour == null || !takeBack(bytes)) {
                return false;
            }
        }
        return true;
    }

    public void release(long bytes) {
        long after = reserved.addAndGet(-bytes);
        assert after >= lent : "memory budget released more than it reserved: " + (after - lent);
        if (neighbour != null && limit - after >= 2 * step) {
            lendSpare();
        }
    }

    /**
     * Shrinks the loan so that {@code bytes} more fit, by {@code bytes} and a step if the
     * neighbour does not hold that much, else down to what it holds; false when nothing came back.
     */
    private boolean takeBack(long bytes) {
        loans.lock();
        try {
            if (bytes <= limit - reserved.get()) {
                return true; // another thread took some back meanwhile
            }
            Neighbour n = neighbour;
            for (int attempt = 0; attempt < 3; attempt++) {
                long floor = Math.max(PAGE, roundUp(n.held()));
                long wanted = lent - roundUp(bytes + step);
                long loan = Math.max(floor, wanted);
                if (loan >= lent) {
                    return false;
                }
                if (n.limitTo(loan)) {
                    long back = lent - loan;
                    lent = loan;
                    reserved.addAndGet(-back);
                    return true;
                }
                // It grew between held() and limitTo(): ask again.
            }
            return false;
        } finally {
            loans.unlock();
        }
    }

    /** Lends all but one step of what is free; skipped when another thread is at it. */
    private void lendSpare() {
        if (!loans.tryLock()) {
            return;
        }
        try {
            long free = limit - reserved.get();
            if (free < 2 * step) {
                return;
            }
            long more = (free - step) / PAGE * PAGE;
            if (more <= 0 || !tryReserveRaw(more)) {
                return;
            }
            if (neighbour.limitTo(lent + more)) {
                lent += more;
            } else {
                reserved.addAndGet(-more);
            }
        } finally {
            loans.unlock();
        }
    }

    /** One compare-and-set loop against the limit, never touching the loan. */
    private boolean tryReserveRaw(long bytes) {
        for (;;) {
            long u = reserved.get();
            if (bytes > limit - u) {
                return false;
            }
            if (reserved.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    private static long roundUp(long bytes) {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }

    public long limit() {
        return limit;
    }

    /** Memory the RAM layers hold (not what is lent to a neighbour). */
    public long used() {
        return reserved.get() - lent;
    }

    /** What RAM layers may still reserve without taking back from the neighbour's loan. */
    public long available() {
        return limit - reserved.get();
    }

    /** The limit lent to the neighbour now; 0 without one. */
    public long lent() {
        return lent;
    }

    @Override
    public String toString() {
        return "MemoryBudget(used " + used() + " of " + limit + ", lent " + lent + ")";
    }
}

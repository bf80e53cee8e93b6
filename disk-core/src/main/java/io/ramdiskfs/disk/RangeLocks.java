package io.ramdiskfs.disk;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Striped locks over a disk's byte space, one stripe per {@link #UNIT}-byte unit modulo
 * {@link #STRIPES}. A writer locks the stripes its range touches, in ascending stripe order, so
 * writes of different units proceed in parallel while a partial-sector read-modify-write is
 * atomic with respect to every other write, unmap and resize of the same bytes. A resize takes
 * every stripe.
 */
final class RangeLocks {
    static final int UNIT_SHIFT = 16;
    static final long UNIT = 1L << UNIT_SHIFT;
    static final int STRIPES = 64;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    RangeLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Locks the stripes of bytes {@code [offset, offset + length)}; returns a token for unlock. */
    long lock(long offset, long length) {
        long firstUnit = offset >>> UNIT_SHIFT;
        long lastUnit = (offset + Math.max(length, 1) - 1) >>> UNIT_SHIFT;
        if (lastUnit - firstUnit + 1 >= STRIPES) {
            lockAll();
            return -1;
        }
        int a = (int) (firstUnit % STRIPES);
        int b = (int) (lastUnit % STRIPES);
        if (a <= b) {
            lockStripes(a, b);
        } else {
            lockStripes(0, b);
            lockStripes(a, STRIPES - 1);
        }
        return ((long) a << 8) | b;
    }

    void unlock(long token) {
        if (token == -1) {
            unlockAll();
            return;
        }
        int a = (int) (token >>> 8);
        int b = (int) (token & 0xff);
        if (a <= b) {
            unlockStripes(a, b);
        } else {
            unlockStripes(a, STRIPES - 1);
            unlockStripes(0, b);
        }
    }

    void lockAll() {
        lockStripes(0, STRIPES - 1);
    }

    void unlockAll() {
        unlockStripes(0, STRIPES - 1);
    }

    private void lockStripes(int from, int to) {
        for (int i = from; i <= to; i++) {
            stripes[i].lock();
        }
    }

    private void unlockStripes(int from, int to) {
        for (int i = to; i >= from; i--) {
            stripes[i].unlock();
        }
    }
}

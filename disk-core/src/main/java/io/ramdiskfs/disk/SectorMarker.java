package io.ramdiskfs.disk;

import java.util.Arrays;

/**
 * Records which sectors of one read request have been filled. A layer's read marks every sector
 * it supplied; what stays unmarked falls through to the next layer, and what is unmarked at the
 * bottom reads as zeros. One marker per thread is reused from request to request, so a read
 * allocates nothing.
 */
public final class SectorMarker {
    private long first;
    private int count;
    private long[] bits = new long[4];

    /** Starts a new request over {@code [first, first + count)} with nothing marked. */
    public void reset(long first, int count) {
        int words = (count + 63) >>> 6;
        if (words > bits.length) {
            bits = new long[Math.max(words, bits.length * 2)];
        } else {
            Arrays.fill(bits, 0, words, 0L);
        }
        this.first = first;
        this.count = count;
    }

    public long first() {
        return first;
    }

    public int count() {
        return count;
    }

    public void set(long sector) {
        int i = index(sector);
        bits[i >>> 6] |= 1L << i;
    }

    /** Marks sectors {@code [from, to)}. */
    public void setRange(long from, long to) {
        if (from >= to) {
            return;
        }
        int a = index(from);
        int b = index(to - 1) + 1;
        int wa = a >>> 6;
        int wb = (b - 1) >>> 6;
        long firstMask = -1L << a;
        long lastMask = -1L >>> -b;
        if (wa == wb) {
            bits[wa] |= firstMask & lastMask;
            return;
        }
        bits[wa] |= firstMask;
        for (int w = wa + 1; w < wb; w++) {
            bits[w] = -1L;
        }
        bits[wb] |= lastMask;
    }

    public boolean isSet(long sector) {
        int i = index(sector);
        return (bits[i >>> 6] & (1L << i)) != 0;
    }

    /** The first unmarked sector at or after {@code from}, or {@code first + count} if none. */
    public long nextUnset(long from) {
        int i = (int) (from - first);
        while (i < count) {
            long w = ~bits[i >>> 6] & (-1L << i);
            if (w != 0) {
                int found = ((i >>> 6) << 6) + Long.numberOfTrailingZeros(w);
                return first + Math.min(found, count);
            }
            i = ((i >>> 6) + 1) << 6;
        }
        return first + count;
    }

    /** The first marked sector at or after {@code from}, or {@code first + count} if none. */
    public long nextSet(long from) {
        int i = (int) (from - first);
        while (i < count) {
            long w = bits[i >>> 6] & (-1L << i);
            if (w != 0) {
                int found = ((i >>> 6) << 6) + Long.numberOfTrailingZeros(w);
                return first + Math.min(found, count);
            }
            i = ((i >>> 6) + 1) << 6;
        }
        return first + count;
    }

    public boolean allSet() {
        return nextUnset(first) == first + count;
    }

    /** Makes this marker a copy of {@code other}. */
    public void copyFrom(SectorMarker other) {
        reset(other.first, other.count);
        System.arraycopy(other.bits, 0, bits, 0, (other.count + 63) >>> 6);
    }

    private int index(long sector) {
        long i = sector - first;
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("sector " + sector + " is outside the request ["
                    + first + ", +" + count + ")");
        }
        return (int) i;
    }
}

package io.ramdiskfs.disk.ram;

/** Range operations on a little bitmap held in {@code long} words; indexes are bit numbers. */
final class Bits {
    private Bits() {}

    static void setRange(long[] w, int from, int to) {
        apply(w, from, to, true);
    }

    static void clearRange(long[] w, int from, int to) {
        apply(w, from, to, false);
    }

    private static void apply(long[] w, int from, int to, boolean set) {
        while (from < to) {
            int word = from >>> 6;
            int wordEnd = Math.min(to, (word + 1) << 6);
            long mask = mask(from, wordEnd);
            w[word] = set ? w[word] | mask : w[word] & ~mask;
            from = wordEnd;
        }
    }

    /** The number of set bits in {@code [from, to)}. */
    static int count(long[] w, int from, int to) {
        int n = 0;
        while (from < to) {
            int word = from >>> 6;
            int wordEnd = Math.min(to, (word + 1) << 6);
            n += Long.bitCount(w[word] & mask(from, wordEnd));
            from = wordEnd;
        }
        return n;
    }

    static boolean get(long[] w, int i) {
        return (w[i >>> 6] & (1L << i)) != 0;
    }

    /** The first index in {@code [from, to)} whose bit equals {@code value}, or {@code to}. */
    static int next(long[] w, int from, int to, boolean value) {
        while (from < to) {
            int word = from >>> 6;
            int wordEnd = Math.min(to, (word + 1) << 6);
            long bits = (value ? w[word] : ~w[word]) & mask(from, wordEnd);
            if (bits != 0) {
                return (word << 6) + Long.numberOfTrailingZeros(bits);
            }
            from = wordEnd;
        }
        return to;
    }

    /** The bits {@code [from, to)} of one word; {@code from} and {@code to} lie in the same word. */
    private static long mask(int from, int to) {
        long high = (to & 63) == 0 ? -1L : (1L << to) - 1;
        return high & (-1L << from);
    }
}

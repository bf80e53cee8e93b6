package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link NativeMemory#zeroPrefix}: the zeros at the start of a range, to the word (or the byte in
 * a tail shorter than a word), never reading past the range; on heap arrays at every alignment
 * and on native memory.
 */
class ZeroPrefixTest {
    /** What zeroPrefix promises for a range of {@code length} whose first non-zero byte is {@code at}. */
    static long expected(int length, int at) {
        if (at >= length) {
            return length;
        }
        int words = length & ~7;
        return at < words ? at & ~7 : at;
    }

    @Test
    void everyLengthEveryPositionOfTheFirstNonZeroByteOnTheHeap() {
        byte[] b = new byte[300];
        for (int shift = 0; shift < 8; shift++) {
            for (int length = 0; length <= 200; length++) {
                for (int at = 0; at <= length; at++) {
                    java.util.Arrays.fill(b, (byte) 0);
                    if (at < length) {
                        b[shift + at] = (byte) (at % 255 + 1);
                    }
                    // A non-zero byte just past the range must not count.
                    b[shift + length] = 7;
                    long got = NativeMemory.zeroPrefix(b, NativeMemory.BYTE_ARRAY_BASE + shift, length);
                    assertEquals(expected(length, at), got, "length " + length + ", first non-zero byte at " + at
                            + ", array offset " + shift);
                }
            }
        }
    }

    @Test
    void aWholeChunkOfZerosAndOneWithItsOnlyNonZeroByteLast() {
        int n = 64 * 1024;
        long address = NativeMemory.allocate(n + 8);
        try {
            NativeMemory.zero(null, address, n + 8);
            assertEquals(n, NativeMemory.zeroPrefix(null, address, n));
            NativeMemory.putLong(address + n, -1L);
            assertEquals(n, NativeMemory.zeroPrefix(null, address, n), "the word after the range was read");
            NativeMemory.putInt(address + n - 4, 1 << 24);
            assertEquals(n - 8, NativeMemory.zeroPrefix(null, address, n));
            NativeMemory.putLong(address, 1);
            assertEquals(0, NativeMemory.zeroPrefix(null, address, n));
        } finally {
            NativeMemory.free(address);
        }
    }
}

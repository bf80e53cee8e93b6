package io.ramdiskfs.disk;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The seed's test pattern (OpenVMM {@code disklayer_ram} tests): every 32-bit little-endian word
 * of a disk holds {@code (byteOffset / 4) | (generation << 24)}, where {@code byteOffset} is the
 * word's offset on the disk. Each word names where it belongs and which write put it there, so a
 * misplaced, stale or lost write shows up as a word that names the wrong place or generation.
 *
 * <p>Every check fails with the seed's message, {@code "at sector S, word W, got 0x.., expected
 * 0x.."}, for the first word that differs. Offsets may be unaligned: a range that starts or ends
 * inside a word compares only its own bytes (the report still shows the whole word, taking the
 * expected value for bytes outside the range).
 *
 * <p>Shared through disk-core's test-jar: fuse-mount and integration-tests use it for byte
 * arrays, buffers and files.
 */
public final class SectorPattern {
    public static final int DEFAULT_SECTOR_SIZE = 512;
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int FILE_BLOCK = 1 << 20;

    private SectorPattern() {}

    /** The word at (word-aligned) disk offset {@code byteOffset} written by {@code generation}. */
    public static int word(long byteOffset, int generation) {
        return (int) (byteOffset / 4) | ((generation & 0xff) << 24);
    }

    /** The pattern byte at any disk offset. */
    public static byte byteAt(long byteOffset, int generation) {
        return (byte) (word(byteOffset & ~3L, generation) >>> ((int) (byteOffset & 3) * 8));
    }

    // ------------------------------------------------------------------ fill

    /** Fills {@code dst[index, index + length)} with the pattern of disk bytes starting at {@code diskOffset}. */
    public static void fill(byte[] dst, int index, int length, long diskOffset, int generation) {
        int i = 0;
        while (i < length && ((diskOffset + i) & 3) != 0) {
            dst[index + i] = byteAt(diskOffset + i, generation);
            i++;
        }
        for (; i + 4 <= length; i += 4) {
            INT_LE.set(dst, index + i, word(diskOffset + i, generation));
        }
        for (; i < length; i++) {
            dst[index + i] = byteAt(diskOffset + i, generation);
        }
    }

    /** A new array holding the pattern of {@code length} disk bytes from {@code diskOffset}. */
    public static byte[] bytes(long diskOffset, int length, int generation) {
        byte[] b = new byte[length];
        fill(b, 0, length, diskOffset, generation);
        return b;
    }

    /** The pattern of sectors {@code [sector, sector + count)}. */
    public static byte[] sectors(long sector, int count, int generation, int sectorSize) {
        return bytes(sector * sectorSize, count * sectorSize, generation);
    }

    /** Fills the buffer's remaining bytes (heap or direct) without moving its position. */
    public static void fill(ByteBuffer dst, long diskOffset, int generation) {
        ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int p = dst.position();
        int n = dst.remaining();
        int i = 0;
        while (i < n && ((diskOffset + i) & 3) != 0) {
            le.put(p + i, byteAt(diskOffset + i, generation));
            i++;
        }
        for (; i + 4 <= n; i += 4) {
            le.putInt(p + i, word(diskOffset + i, generation));
        }
        for (; i < n; i++) {
            le.put(p + i, byteAt(diskOffset + i, generation));
        }
    }

    /** Creates or replaces {@code file} with {@code size} bytes of the pattern: a raw image. */
    public static Path writeImage(Path file, long size, int generation) throws IOException {
        byte[] block = new byte[(int) Math.min(FILE_BLOCK, size)];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0; pos < size; ) {
                int n = (int) Math.min(block.length, size - pos);
                fill(block, 0, n, pos, generation);
                ByteBuffer b = ByteBuffer.wrap(block, 0, n);
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
            }
        }
        return file;
    }

    // ------------------------------------------------------------------ check

    /**
     * The seed's message for the first word of {@code actual[index, index + length)} (disk bytes
     * from {@code diskOffset}) that differs from the pattern, or null when all match.
     */
    public static String mismatch(byte[] actual, int index, int length, long diskOffset, int generation, int sectorSize) {
        int i = 0;
        int aligned = (int) Math.min(length, (4 - (diskOffset & 3)) & 3);
        for (; i < aligned; i++) {
            if (actual[index + i] != byteAt(diskOffset + i, generation)) {
                return patternMessage(actual, index, length, diskOffset, i, generation, sectorSize);
            }
        }
        for (; i + 4 <= length; i += 4) {
            if ((int) INT_LE.get(actual, index + i) != word(diskOffset + i, generation)) {
                return patternMessage(actual, index, length, diskOffset, i, generation, sectorSize);
            }
        }
        for (; i < length; i++) {
            if (actual[index + i] != byteAt(diskOffset + i, generation)) {
                return patternMessage(actual, index, length, diskOffset, i, generation, sectorSize);
            }
        }
        return null;
    }

    /** Asserts that {@code actual[index, index + length)} holds the pattern of disk bytes from {@code diskOffset}. */
    public static void check(byte[] actual, int index, int length, long diskOffset, int generation, int sectorSize) {
        String m = mismatch(actual, index, length, diskOffset, generation, sectorSize);
        if (m != null) {
            throw new AssertionError(m);
        }
    }

    public static void check(byte[] actual, long diskOffset, int generation) {
        check(actual, 0, actual.length, diskOffset, generation, DEFAULT_SECTOR_SIZE);
    }

    /** Asserts that the buffer's remaining bytes hold the pattern of disk bytes from {@code diskOffset}. */
    public static void check(ByteBuffer actual, long diskOffset, int generation, int sectorSize) {
        byte[] copy = new byte[actual.remaining()];
        actual.get(actual.position(), copy);
        check(copy, 0, copy.length, diskOffset, generation, sectorSize);
    }

    /** Asserts that {@code file[diskOffset, diskOffset + length)} holds the pattern. */
    public static void checkFile(Path file, long diskOffset, long length, int generation, int sectorSize) throws IOException {
        byte[] block = new byte[(int) Math.min(FILE_BLOCK, length)];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(block.length, length - done);
                ByteBuffer b = ByteBuffer.wrap(block, 0, n);
                while (b.hasRemaining()) {
                    int r = ch.read(b, diskOffset + done + b.position());
                    if (r < 0) {
                        throw new AssertionError(file + " ends at byte " + (diskOffset + done + b.position())
                                + ", expected " + (diskOffset + length));
                    }
                }
                check(block, 0, n, diskOffset + done, generation, sectorSize);
                done += n;
            }
        }
    }

    /** Asserts that the bytes are all zero, with the seed's message for the first word that is not. */
    public static void checkZeros(byte[] actual, int index, int length, long diskOffset, int sectorSize) {
        String m = mismatch(actual, index, new byte[0], 0, length, diskOffset, sectorSize, true);
        if (m != null) {
            throw new AssertionError(m);
        }
    }

    public static void checkZeros(byte[] actual, long diskOffset) {
        checkZeros(actual, 0, actual.length, diskOffset, DEFAULT_SECTOR_SIZE);
    }

    /**
     * The seed's message for the first word where {@code actual} differs from {@code expected}
     * (for instance a plain array modelling the disk), or null when they are equal.
     */
    public static String mismatch(byte[] actual, int actualIndex, byte[] expected, int expectedIndex, int length,
            long diskOffset, int sectorSize) {
        return mismatch(actual, actualIndex, expected, expectedIndex, length, diskOffset, sectorSize, false);
    }

    /** Asserts that {@code actual} equals {@code expected} over {@code length} bytes at {@code diskOffset}. */
    public static void checkEquals(byte[] actual, int actualIndex, byte[] expected, int expectedIndex, int length,
            long diskOffset, int sectorSize) {
        String m = mismatch(actual, actualIndex, expected, expectedIndex, length, diskOffset, sectorSize);
        if (m != null) {
            throw new AssertionError(m);
        }
    }

    private static String mismatch(byte[] actual, int ai, byte[] expected, int ei, int length, long diskOffset,
            int sectorSize, boolean zeros) {
        int i = zeros ? firstNonZero(actual, ai, length) : java.util.Arrays.mismatch(actual, ai, ai + length, expected, ei, ei + length);
        if (i < 0) {
            return null;
        }
        long at = diskOffset + i;
        long wordStart = at & ~3L;
        int got = 0;
        int want = 0;
        for (int b = 0; b < 4; b++) {
            long k = wordStart + b - diskOffset;
            int expectedByte = zeros || k < 0 || k >= length ? 0 : expected[ei + (int) k] & 0xff;
            int actualByte = k < 0 || k >= length ? expectedByte : actual[ai + (int) k] & 0xff;
            got |= actualByte << (8 * b);
            want |= expectedByte << (8 * b);
        }
        return message(wordStart, got, want, sectorSize);
    }

    private static int firstNonZero(byte[] a, int from, int length) {
        for (int i = 0; i < length; i++) {
            if (a[from + i] != 0) {
                return i;
            }
        }
        return -1;
    }

    private static String patternMessage(byte[] actual, int index, int length, long diskOffset, int i, int generation,
            int sectorSize) {
        long wordStart = (diskOffset + i) & ~3L;
        int want = word(wordStart, generation);
        int got = 0;
        for (int b = 0; b < 4; b++) {
            long k = wordStart + b - diskOffset;
            int byteValue = k < 0 || k >= length ? (want >>> (8 * b)) & 0xff : actual[index + (int) k] & 0xff;
            got |= byteValue << (8 * b);
        }
        return message(wordStart, got, want, sectorSize);
    }

    /** The seed's failure message for the word at disk offset {@code wordOffset}. */
    public static String message(long wordOffset, int got, int expected, int sectorSize) {
        return "at sector " + wordOffset / sectorSize + ", word " + (wordOffset % sectorSize) / 4 + ", got 0x"
                + Integer.toHexString(got) + ", expected 0x" + Integer.toHexString(expected);
    }
}

package io.ramdiskfs.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Test data on the real disk, and byte comparisons that say where data differs: the offset, the
 * expected byte, the byte found. Reads use plain positional reads (pread), like any client.
 */
public final class Data {
    public static final long KiB = 1024;
    public static final long MiB = 1024 * KiB;
    private static final int BLOCK = (int) MiB;

    private Data() {}

    /** Writes {@code size} pseudo-random bytes, the same for the same seed. */
    public static Path random(Path file, long size, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(BLOCK);
            long left = size;
            while (left > 0) {
                buf.clear();
                int n = (int) Math.min(BLOCK, left);
                byte[] b = new byte[n];
                rnd.nextBytes(b);
                buf.put(b).flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                left -= n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** A copy of {@code from} at {@code to} (an expected image to modify). */
    public static Path copy(Path from, Path to) {
        try {
            return Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code len} pseudo-random bytes. */
    public static byte[] randomBytes(int len, long seed) {
        byte[] b = new byte[len];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} at {@code offset} of a file on the real disk (building an expected image). */
    public static void writeAt(Path file, long offset, byte[] data) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            long pos = offset;
            while (buf.hasRemaining()) {
                pos += ch.write(buf, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies {@code len} bytes of {@code from} at {@code fromOffset} into {@code to} at {@code toOffset}. */
    public static void copyRange(Path from, long fromOffset, Path to, long toOffset, long len) {
        writeAt(to, toOffset, read(from, fromOffset, Math.toIntExact(len)));
    }

    /** Zeros {@code len} bytes at {@code offset} of a file on the real disk. */
    public static void zeroAt(Path file, long offset, long len) {
        writeAt(file, offset, new byte[Math.toIntExact(len)]);
    }

    /** Reads exactly {@code len} bytes (fewer only at the end of the file). */
    public static byte[] read(Path file, long offset, int len) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(len);
            long pos = offset;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The two files have the same size and the same bytes. */
    public static void assertSameContent(Path expected, Path actual) {
        long es = size(expected);
        long as = size(actual);
        if (es != as) {
            throw new AssertionError(actual + " is " + as + " bytes, expected " + es + " (as " + expected + ")");
        }
        assertSameBytes(expected, 0, actual, 0, es);
    }

    /**
     * {@code len} bytes of {@code actual} at {@code actualOffset} equal those of {@code expected}
     * at {@code expectedOffset}; else fails at the first difference.
     */
    public static void assertSameBytes(Path expected, long expectedOffset, Path actual, long actualOffset, long len) {
        try (FileChannel e = FileChannel.open(expected, StandardOpenOption.READ);
                FileChannel a = FileChannel.open(actual, StandardOpenOption.READ)) {
            ByteBuffer eb = ByteBuffer.allocate(BLOCK);
            ByteBuffer ab = ByteBuffer.allocate(BLOCK);
            for (long done = 0; done < len; ) {
                int n = (int) Math.min(BLOCK, len - done);
                int en = fill(e, eb, expectedOffset + done, n);
                int an = fill(a, ab, actualOffset + done, n);
                int mismatch = Math.min(en, an) == 0 ? -1 : eb.slice(0, Math.min(en, an)).mismatch(ab.slice(0, Math.min(en, an)));
                if (mismatch >= 0) {
                    throw new AssertionError(difference(actual, actualOffset + done + mismatch, eb.get(mismatch), ab.get(mismatch))
                            + " (" + expected + " at " + (expectedOffset + done + mismatch) + "); "
                            + countDifferences(eb, ab, Math.min(en, an)) + " of the " + Math.min(en, an)
                            + " bytes from offset " + (actualOffset + done) + " differ");
                }
                if (en != n || an != n) {
                    throw new AssertionError("short read comparing " + len + " bytes: " + expected + " gave " + en + ", " + actual
                            + " gave " + an + " bytes at " + (actualOffset + done));
                }
                done += n;
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** {@code len} bytes at {@code offset} read as zeros. */
    public static void assertZeros(Path file, long offset, long len) {
        try (FileChannel a = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer ab = ByteBuffer.allocate(BLOCK);
            ByteBuffer zeros = ByteBuffer.allocate(BLOCK);
            for (long done = 0; done < len; ) {
                int n = (int) Math.min(BLOCK, len - done);
                int an = fill(a, ab, offset + done, n);
                if (an != n) {
                    throw new AssertionError("short read: " + file + " gave " + an + " of " + n + " bytes at " + (offset + done));
                }
                int mismatch = zeros.slice(0, n).mismatch(ab.slice(0, n));
                if (mismatch >= 0) {
                    throw new AssertionError(difference(file, offset + done + mismatch, (byte) 0, ab.get(mismatch))
                            + "; " + countDifferences(zeros, ab, n) + " of the " + n + " bytes from offset " + (offset + done)
                            + " are not zero");
                }
                done += n;
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(BLOCK);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String difference(Path file, long offset, byte expected, byte got) {
        return String.format("%s differs at offset %d (0x%x): expected 0x%02x, got 0x%02x", file, offset, offset,
                expected & 0xff, got & 0xff);
    }

    private static int countDifferences(ByteBuffer a, ByteBuffer b, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (a.get(i) != b.get(i)) {
                c++;
            }
        }
        return c;
    }

    /** Reads up to {@code n} bytes at {@code pos} into {@code buf} (from index 0); returns how many. */
    private static int fill(FileChannel ch, ByteBuffer buf, long pos, int n) throws IOException {
        buf.clear().limit(n);
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                break;
            }
        }
        return buf.position();
    }
}

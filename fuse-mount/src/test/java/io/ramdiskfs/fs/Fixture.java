package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.function.Executable;

/**
 * A {@link DiskDirectory} over RAM disks with a settable clock, and the byte helpers the tests
 * share: a position-dependent pattern, writes and reads through {@code byte[]} memory, and a
 * comparison that names the first differing disk offset.
 */
final class Fixture implements AutoCloseable {
    static final int SECTOR = 512;
    static final int CHUNK = RamLayer.CHUNK_BYTES;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final long PIB = 1L << 50;

    final MemoryBudget budget;
    final AtomicLong clock = new AtomicLong(1_700_000_000_000_000_000L);
    final DiskDirectory dir;

    Fixture() {
        this(MemoryBudget.unlimited(), false);
    }

    Fixture(MemoryBudget budget, boolean readOnlyMount) {
        this.budget = budget;
        this.dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, SECTOR, budget), false), budget, readOnlyMount,
                clock::get);
    }

    static Fixture readOnlyMount() {
        return new Fixture(MemoryBudget.unlimited(), true);
    }

    static Fixture withLimit(long limitBytes) {
        return new Fixture(new MemoryBudget(limitBytes), false);
    }

    DiskFile add(String name, long sizeBytes) {
        return add(name, sizeBytes, false);
    }

    DiskFile add(String name, long sizeBytes, boolean readOnly) {
        return dir.add(name, LayeredDisk.of(RamLayer.create(sizeBytes, SECTOR, budget), readOnly), 0, 0);
    }

    /** Adds {@code name} of {@code sizeBytes} and opens it read-write. */
    long addOpen(String name, long sizeBytes) throws FsException {
        add(name, sizeBytes);
        return dir.open("/" + name, O_RDWR);
    }

    // ------------------------------------------------------------------ bytes

    /** The byte a pattern with {@code seed} has at disk offset {@code pos}: misplaced data shows. */
    static byte patternByte(long pos, int seed) {
        long x = pos * 0x9E3779B97F4A7C15L + seed * 0xC2B2AE3D27D4EB4FL;
        return (byte) (x >>> 56 ^ x >>> 29 ^ 1);
    }

    /** {@code length} pattern bytes as they belong at disk offset {@code pos}. */
    static byte[] pattern(long pos, int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = patternByte(pos + i, seed);
        }
        return b;
    }

    int write(long fh, long pos, byte[] data) throws FsException, DiskException {
        return dir.write(fh, pos, data, NativeMemory.BYTE_ARRAY_BASE, data.length);
    }

    /** Writes the pattern bytes of {@code [pos, pos + length)}, from the middle of a larger array. */
    void writePattern(long fh, long pos, int length, int seed) throws FsException, DiskException {
        int margin = 13;
        byte[] buf = new byte[margin + length + margin];
        System.arraycopy(pattern(pos, length, seed), 0, buf, margin, length);
        int n = dir.write(fh, pos, buf, NativeMemory.BYTE_ARRAY_BASE + margin, length);
        assertEquals(length, n, "bytes written at " + pos);
    }

    /**
     * Reads {@code length} bytes at {@code pos} into the middle of a larger array, checks that the
     * bytes around the target are untouched, and returns the bytes read (short at the end).
     */
    byte[] read(long fh, long pos, int length) throws FsException, DiskException {
        int margin = 11;
        byte[] buf = new byte[margin + length + margin];
        java.util.Arrays.fill(buf, (byte) 0x5A);
        int n = dir.read(fh, pos, buf, NativeMemory.BYTE_ARRAY_BASE + margin, length);
        for (int i = 0; i < margin; i++) {
            if (buf[i] != 0x5A) {
                fail("read at " + pos + " of " + length + " wrote before its buffer, at index " + (i - margin));
            }
        }
        for (int i = margin + n; i < buf.length; i++) {
            if (buf[i] != 0x5A) {
                fail("read at " + pos + " of " + length + " returned " + n + " but wrote buffer index " + (i - margin));
            }
        }
        return java.util.Arrays.copyOfRange(buf, margin, margin + n);
    }

    /** Fails naming the first disk offset where {@code got} differs from {@code expected}. */
    static void assertDiskBytes(byte[] expected, byte[] got, long diskOffset, String what) {
        assertEquals(expected.length, got.length, what + ": bytes read at " + diskOffset);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != got[i]) {
                fail(what + ": differs at offset " + (diskOffset + i) + ", expected " + (expected[i] & 0xFF)
                        + ", got " + (got[i] & 0xFF));
            }
        }
    }

    void assertPattern(long fh, long pos, int length, int seed) throws FsException, DiskException {
        assertDiskBytes(pattern(pos, length, seed), read(fh, pos, length), pos, "pattern " + seed);
    }

    void assertZeros(long fh, long pos, int length) throws FsException, DiskException {
        assertDiskBytes(new byte[length], read(fh, pos, length), pos, "zeros");
    }

    // ------------------------------------------------------------------ errors

    /** Runs {@code op}, expects a failure, and returns the errno {@link ErrnoMapper} gives it. */
    static Errno errnoOf(Executable op) {
        Throwable t = assertThrows(Throwable.class, op);
        return ErrnoMapper.errno(t);
    }

    static void assertErrno(Errno expected, Executable op) {
        Throwable t = assertThrows(Throwable.class, op);
        assertEquals(expected, ErrnoMapper.errno(t), () -> "errno of " + t);
    }

    static void assertDiskError(DiskError expected, Executable op) {
        DiskException e = assertThrows(DiskException.class, op);
        assertEquals(expected, e.error(), () -> "error of " + e);
    }

    static void assertFsErrno(Errno expected, Executable op) {
        assertFsErrno(expected, op, "");
    }

    static void assertFsErrno(Errno expected, Executable op, String what) {
        FsException e = assertThrows(FsException.class, op, what);
        assertEquals(expected, e.errno(), () -> what + ": errno of " + e);
    }

    @Override
    public void close() {
        dir.closeAll();
    }
}

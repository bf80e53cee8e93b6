package io.ramdiskfs.disk;

import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import sun.misc.Unsafe;

/**
 * Raw memory access for the I/O path. A location is a pair {@code (base, offset)}: with a
 * {@code null} base the offset is a native address (a FUSE buffer, a RAM chunk, a mapped image);
 * with a {@code byte[]} base it is {@link #BYTE_ARRAY_BASE} plus an index. One representation lets
 * the same code copy between a FUSE buffer and off-heap chunks with a single copy and no
 * allocation, and lets tests use plain arrays.
 *
 * <p>Nothing here checks bounds: callers do, before they call.
 */
public final class NativeMemory {
    private static final Unsafe U = loadUnsafe();
    /** The offset of element 0 of a {@code byte[]}. */
    public static final long BYTE_ARRAY_BASE = U.arrayBaseOffset(byte[].class);
    private static final long BUFFER_ADDRESS = bufferFieldOffset("address");
    private static final long BUFFER_CAPACITY = bufferFieldOffset("capacity");
    private static final long BUFFER_LIMIT = bufferFieldOffset("limit");
    private static final long BUFFER_POSITION = bufferFieldOffset("position");
    private static final long BUFFER_MARK = bufferFieldOffset("mark");
    private static final ThreadLocal<ByteBuffer> VIEW = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1));
    /** Large copies are split so a copy between heap arrays never stalls a safepoint for long. */
    private static final long COPY_STRIDE = 1 << 20;

    private NativeMemory() {}

    private static Unsafe loadUnsafe() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static long bufferFieldOffset(String name) {
        try {
            return U.objectFieldOffset(Buffer.class.getDeclaredField(name));
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static void copy(Object srcBase, long srcOffset, Object dstBase, long dstOffset, long bytes) {
        if (srcBase == null && dstBase == null) {
            U.copyMemory(srcOffset, dstOffset, bytes);
            return;
        }
        while (bytes > 0) {
            long n = Math.min(bytes, COPY_STRIDE);
            U.copyMemory(srcBase, srcOffset, dstBase, dstOffset, n);
            srcOffset += n;
            dstOffset += n;
            bytes -= n;
        }
    }

    /**
     * How many bytes at the start of {@code [offset, offset + bytes)} are zero, to the word: the
     * offset of the first 8-byte word (or, in a tail shorter than a word, byte) that is not zero,
     * or {@code bytes} when every byte is. Reads a word at a time, four words per test, and stops
     * at the first that is not zero, so data that is not zero costs a load or two; allocates
     * nothing. A writer copies from there on and writes the zeros found without reading them again.
     */
    public static long zeroPrefix(Object base, long offset, long bytes) {
        long i = 0;
        for (long blocks = bytes & ~31L; i < blocks; i += 32) {
            long at = offset + i;
            if ((U.getLong(base, at) | U.getLong(base, at + 8) | U.getLong(base, at + 16) | U.getLong(base, at + 24)) != 0) {
                break;
            }
        }
        for (long words = bytes & ~7L; i < words; i += 8) {
            if (U.getLong(base, offset + i) != 0) {
                return i;
            }
        }
        for (; i < bytes; i++) {
            if (U.getByte(base, offset + i) != 0) {
                return i;
            }
        }
        return bytes;
    }

    public static void zero(Object base, long offset, long bytes) {
        U.setMemory(base, offset, bytes, (byte) 0);
    }

    /** Allocates {@code bytes} of native memory (contents undefined); throws OutOfMemoryError. */
    public static long allocate(long bytes) {
        return U.allocateMemory(bytes);
    }

    public static void free(long address) {
        U.freeMemory(address);
    }

    public static long getLong(long address) {
        return U.getLong(address);
    }

    public static void putLong(long address, long value) {
        U.putLong(address, value);
    }

    public static int getInt(long address) {
        return U.getInt(address);
    }

    public static void putInt(long address, int value) {
        U.putInt(address, value);
    }

    public static short getShort(long address) {
        return U.getShort(address);
    }

    public static void putShort(long address, short value) {
        U.putShort(address, value);
    }

    public static void putByte(long address, byte value) {
        U.putByte(address, value);
    }

    public static byte getByte(Object base, long offset) {
        return U.getByte(base, offset);
    }

    /** The base object of a buffer's memory: its array, or null for a direct buffer. */
    public static Object baseOf(ByteBuffer buffer) {
        return buffer.isDirect() ? null : buffer.array();
    }

    /** The offset, in {@link #baseOf} terms, of the buffer's current position. */
    public static long offsetOf(ByteBuffer buffer) {
        if (buffer.isDirect()) {
            return U.getLong(buffer, BUFFER_ADDRESS) + buffer.position();
        }
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("read-only heap buffers are not supported");
        }
        return BYTE_ARRAY_BASE + buffer.arrayOffset() + buffer.position();
    }

    /**
     * A direct buffer over {@code [address, address + length)} of native memory the caller owns,
     * for APIs that take a {@code ByteBuffer} (a file channel's positional read). It is the
     * calling thread's one view, re-pointed on every call: no allocation. Valid until the same
     * thread calls again; never hand it to another thread.
     */
    public static ByteBuffer view(long address, int length) {
        ByteBuffer b = VIEW.get();
        U.putLong(b, BUFFER_ADDRESS, address);
        U.putInt(b, BUFFER_CAPACITY, length);
        U.putInt(b, BUFFER_LIMIT, length);
        U.putInt(b, BUFFER_POSITION, 0);
        U.putInt(b, BUFFER_MARK, -1);
        return b;
    }

    /** Releases a mapped or direct buffer now instead of when the collector finds it. */
    public static void release(ByteBuffer directBuffer) {
        U.invokeCleaner(directBuffer);
    }
}

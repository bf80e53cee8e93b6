package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import java.lang.invoke.VarHandle;
import jnr.ffi.LastError;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * One io_uring with 128-byte SQEs, driven by raw system calls from the one thread that owns it:
 * just what FUSE-over-io_uring needs (URING_CMD submissions, completions, a bounded wait).
 *
 * <p>Why raw calls and not liburing: its submission helpers are {@code static inline} (only
 * {@code liburing-ffi.so}, not installed, exports them) and a C shim would need a compiler and
 * headers on every build machine; the ring protocol is three shared-memory indices. The io_uring
 * ABI (not FUSE's) lives here, FUSE's in {@link FuseKernel}. Not thread-safe by design: the
 * kernel runs a FUSE ring's request copies as task work of the submitting thread, so a ring is
 * submitted to and waited on by one thread only.
 */
final class IoUring implements AutoCloseable {
    // x86-64 system call numbers (the same on arm64's generic table: 425..427).
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;

    // io_uring_setup flags.
    static final int SETUP_CQSIZE = 1 << 3;
    static final int SETUP_SUBMIT_ALL = 1 << 7;
    static final int SETUP_SQE128 = 1 << 10;
    // io_uring_enter flags.
    static final int ENTER_GETEVENTS = 1;
    static final int ENTER_EXT_ARG = 1 << 3;
    static final int FEAT_SINGLE_MMAP = 1;
    static final int FEAT_EXT_ARG = 1 << 8;
    static final int REGISTER_FILES = 2;
    static final long OFF_SQ_RING = 0;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;
    static final int OP_URING_CMD = 46;
    static final int SQE_FIXED_FILE = 1;

    /** {@code struct io_uring_params}, 120 bytes. */
    static final class Params {
        static final int SQ_ENTRIES = 0;
        static final int CQ_ENTRIES = 4;
        static final int FLAGS = 8;
        static final int FEATURES = 20;
        static final int SQ_OFF = 40;
        static final int CQ_OFF = 80;
        static final int SIZE = 120;

        private Params() {}
    }

    // struct io_sqring_offsets / io_cqring_offsets (u32 fields).
    static final int OFF_HEAD = 0;
    static final int OFF_TAIL = 4;
    static final int OFF_RING_MASK = 8;
    static final int SQ_OFF_ARRAY = 24;
    static final int CQ_OFF_CQES = 20;

    /** {@code struct io_uring_sqe} with SQE128: 128 bytes. */
    static final class Sqe {
        static final int OPCODE = 0;
        static final int FLAGS = 1;
        static final int FD = 4;
        /** u32 {@code cmd_op} (union with {@code off}). */
        static final int CMD_OP = 8;
        static final int ADDR = 16;
        static final int LEN = 24;
        static final int USER_DATA = 32;
        /** 80 bytes of command data. */
        static final int CMD = 48;
        static final int SIZE = 128;

        private Sqe() {}
    }

    /** {@code struct io_uring_cqe}, 16 bytes. */
    static final class Cqe {
        static final int USER_DATA = 0;
        static final int RES = 8;
        static final int SIZE = 16;

        private Cqe() {}
    }

    /** {@code struct io_uring_getevents_arg}, 24 bytes; then a {@code __kernel_timespec}. */
    private static final int GETEVENTS_ARG_SIZE = 24;
    private static final int GETEVENTS_ARG_TS = 16;

    private final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    private final int fd;
    private final Pointer ringMapping;
    private final long ringBytes;
    private final Pointer sqeMapping;
    private final long sqeBytes;
    private final long sqHead;
    private final long sqTail;
    private final int sqMask;
    private final long sqArray;
    private final long sqes;
    private final long cqHead;
    private final long cqTail;
    private final int cqMask;
    private final long cqes;
    /** Our copy of the SQ tail: SQEs written but not yet handed to the kernel. */
    private int sqLocal;
    private int pending;
    /** getevents arg + timespec, for the bounded wait. */
    private final long waitArg;

    /**
     * @param entries    submission queue entries
     * @param cqEntries  completion queue entries
     * @throws IllegalStateException with the errno when the kernel refuses (io_uring disabled,
     *                               no SQE128, out of memory)
     */
    IoUring(int entries, int cqEntries) {
        long params = NativeMemory.allocate(Params.SIZE);
        try {
            NativeMemory.zero(null, params, Params.SIZE);
            NativeMemory.putInt(params + Params.FLAGS, SETUP_SQE128 | SETUP_CQSIZE | SETUP_SUBMIT_ALL);
            NativeMemory.putInt(params + Params.CQ_ENTRIES, cqEntries);
            long r = libc.syscall(SYS_IO_URING_SETUP, entries, params);
            if (r < 0) {
                throw new IllegalStateException("io_uring_setup failed with errno " + LastError.getLastError(runtime));
            }
            fd = (int) r;
            int features = NativeMemory.getInt(params + Params.FEATURES);
            if ((features & FEAT_SINGLE_MMAP) == 0 || (features & FEAT_EXT_ARG) == 0) {
                libc.close(fd);
                throw new IllegalStateException("io_uring lacks single mmap or EXT_ARG (kernel older than 5.11)");
            }
            int sqEntries = NativeMemory.getInt(params + Params.SQ_ENTRIES);
            int cqCount = NativeMemory.getInt(params + Params.CQ_ENTRIES);
            long sqOff = params + Params.SQ_OFF;
            long cqOff = params + Params.CQ_OFF;
            long sqRingBytes = Integer.toUnsignedLong(NativeMemory.getInt(sqOff + SQ_OFF_ARRAY)) + 4L * sqEntries;
            long cqRingBytes = Integer.toUnsignedLong(NativeMemory.getInt(cqOff + CQ_OFF_CQES)) + (long) Cqe.SIZE * cqCount;
            ringBytes = Math.max(sqRingBytes, cqRingBytes);
            ringMapping = map(ringBytes, OFF_SQ_RING);
            sqeBytes = (long) Sqe.SIZE * sqEntries;
            sqeMapping = map(sqeBytes, OFF_SQES);
            long ring = ringMapping.address();
            sqHead = ring + NativeMemory.getInt(sqOff + OFF_HEAD);
            sqTail = ring + NativeMemory.getInt(sqOff + OFF_TAIL);
            sqMask = NativeMemory.getInt(ring + NativeMemory.getInt(sqOff + OFF_RING_MASK));
            sqArray = ring + NativeMemory.getInt(sqOff + SQ_OFF_ARRAY);
            cqHead = ring + NativeMemory.getInt(cqOff + OFF_HEAD);
            cqTail = ring + NativeMemory.getInt(cqOff + OFF_TAIL);
            cqMask = NativeMemory.getInt(ring + NativeMemory.getInt(cqOff + OFF_RING_MASK));
            cqes = ring + NativeMemory.getInt(cqOff + CQ_OFF_CQES);
            sqes = sqeMapping.address();
            sqLocal = NativeMemory.getInt(sqTail);
            waitArg = NativeMemory.allocate(GETEVENTS_ARG_SIZE + 16);
            NativeMemory.zero(null, waitArg, GETEVENTS_ARG_SIZE + 16);
            NativeMemory.putLong(waitArg + GETEVENTS_ARG_TS, waitArg + GETEVENTS_ARG_SIZE);
        } finally {
            NativeMemory.free(params);
        }
    }

    private Pointer map(long bytes, long offset) {
        Pointer p = libc.mmap(null, bytes, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, offset);
        if (p == null || p.address() == 0 || p.address() == -1) {
            libc.close(fd);
            throw new IllegalStateException("mmap of the io_uring at offset " + offset + " failed");
        }
        return p;
    }

    /** Registers {@code fileFd} as fixed file 0, so SQEs skip the descriptor lookup. */
    boolean registerFile(int fileFd) {
        long arg = NativeMemory.allocate(4);
        try {
            NativeMemory.putInt(arg, fileFd);
            return libc.syscall(SYS_IO_URING_REGISTER, fd, REGISTER_FILES, arg, 1) == 0;
        } finally {
            NativeMemory.free(arg);
        }
    }

    /**
     * The next free SQE, zeroed, or 0 when the queue is full (the caller submits first). Becomes
     * visible to the kernel at the next {@link #submitAndWait}.
     */
    long nextSqe() {
        int head = NativeMemory.getInt(sqHead);
        VarHandle.acquireFence();
        if (sqLocal - head > sqMask) {
            return 0;
        }
        int index = sqLocal & sqMask;
        long sqe = sqes + (long) index * Sqe.SIZE;
        NativeMemory.zero(null, sqe, Sqe.SIZE);
        NativeMemory.putInt(sqArray + 4L * index, index);
        sqLocal++;
        pending++;
        return sqe;
    }

    /**
     * Hands every new SQE to the kernel and waits for at least one completion, or for
     * {@code timeoutNanos}.
     *
     * @return the number submitted (&ge; 0), or a negative errno (ETIME: the wait timed out;
     *     EINTR: a signal)
     */
    int submitAndWait(long timeoutNanos) {
        VarHandle.releaseFence();
        NativeMemory.putInt(sqTail, sqLocal);
        VarHandle.fullFence();
        NativeMemory.putLong(waitArg + GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
        NativeMemory.putLong(waitArg + GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
        int toSubmit = pending;
        long r = libc.syscall(SYS_IO_URING_ENTER, fd, toSubmit, 1, ENTER_GETEVENTS | ENTER_EXT_ARG, waitArg, GETEVENTS_ARG_SIZE);
        if (r < 0) {
            return -LastError.getLastError(runtime);
        }
        pending -= (int) r;
        return (int) r;
    }

    /** Completions ready now, from {@link #cqHead()} on; read each with {@link #cqe}, then {@link #advance}. */
    int cqHead() {
        return NativeMemory.getInt(cqHead);
    }

    int cqTail() {
        int t = NativeMemory.getInt(cqTail);
        VarHandle.acquireFence();
        return t;
    }

    /** The address of completion {@code position}. */
    long cqe(int position) {
        return cqes + (long) (position & cqMask) * Cqe.SIZE;
    }

    /** Gives the completions before {@code head} back to the kernel. */
    void advance(int head) {
        VarHandle.releaseFence();
        NativeMemory.putInt(cqHead, head);
    }

    @Override
    public void close() {
        libc.munmap(sqeMapping, sqeBytes);
        libc.munmap(ringMapping, ringBytes);
        libc.close(fd);
        NativeMemory.free(waitArg);
    }
}

package io.ramdiskfs.fuse.jnr;

/**
 * The FUSE wire format this package reads and writes: opcodes, struct field offsets and sizes,
 * flags and {@code /dev/fuse} ioctls, in one place, as libfuse keeps them in
 * {@code fuse_kernel.h}.
 *
 * <p>Why one place: the adapter reads requests and amends replies below libfuse2 (which speaks
 * protocol 7.19), so it needs layouts libfuse2 never knew; restated per class they drift.
 * Every number is checked against the kernel UAPI header, protocol 7.45 (Linux 6.17/6.18;
 * libfuse {@code include/fuse_kernel.h} at e8d407ce), on x86-64 and arm64 with natural
 * alignment; all fields are little-endian there. Offsets are from the start of their struct.
 * Error numbers are not here: they live in {@link io.ramdiskfs.disks.Errno}.
 */
final class FuseKernel {
    private FuseKernel() {}

    /** {@code FUSE_KERNEL_VERSION}: the major version both sides must share. */
    static final int KERNEL_VERSION = 7;

    // enum fuse_opcode (only those the adapter names).
    static final int FUSE_GETATTR = 3;
    static final int FUSE_SETATTR = 4;
    static final int FUSE_OPEN = 14;
    static final int FUSE_READ = 15;
    static final int FUSE_WRITE = 16;
    static final int FUSE_RELEASE = 18;
    static final int FUSE_FSYNC = 20;
    static final int FUSE_FLUSH = 25;
    static final int FUSE_INIT = 26;
    static final int FUSE_CREATE = 35;
    static final int FUSE_INTERRUPT = 36;
    static final int FUSE_FALLOCATE = 43;
    /** Protocol 7.24: SEEK_DATA / SEEK_HOLE. */
    static final int FUSE_LSEEK = 46;
    /** Protocol 7.28; replied with {@code fuse_write_out} (a 32-bit count). */
    static final int FUSE_COPY_FILE_RANGE = 47;
    /** Protocol 7.45; replied with {@code fuse_copy_file_range_out} (a 64-bit count). */
    static final int FUSE_COPY_FILE_RANGE_64 = 53;
    /** Above every opcode of protocol 7.45 except CUSE_INIT (4096): the size of opcode tables. */
    static final int OPCODE_LIMIT = 64;

    /** {@code struct fuse_in_header}, 40 bytes, before every request's arguments. */
    static final class InHeader {
        static final int LEN = 0;
        static final int OPCODE = 4;
        static final int UNIQUE = 8;
        static final int NODEID = 16;
        static final int UID = 24;
        static final int GID = 28;
        static final int PID = 32;
        /** u16, extensions' length in 8-byte units (7.37). */
        static final int TOTAL_EXTLEN = 36;
        static final int SIZE = 40;

        private InHeader() {}
    }

    /** {@code struct fuse_out_header}, 16 bytes, before every reply's arguments. */
    static final class OutHeader {
        static final int LEN = 0;
        /** s32: 0 or a negative errno. */
        static final int ERROR = 4;
        static final int UNIQUE = 8;
        static final int SIZE = 16;

        private OutHeader() {}
    }

    /**
     * {@code struct fuse_read_in} and {@code struct fuse_write_in} (same layout since 7.9), 40
     * bytes; a WRITE's data follows it.
     */
    static final class ReadWriteIn {
        static final int FH = 0;
        static final int OFFSET = 8;
        static final int SIZE_FIELD = 16;
        /** {@code read_flags} / {@code write_flags}. */
        static final int RW_FLAGS = 20;
        /** Where {@code lock_owner} starts: the fields before it are all a READ needs. */
        static final int LOCK_OWNER = 24;
        static final int FLAGS = 32;
        static final int SIZE = 40;

        private ReadWriteIn() {}
    }

    /** {@code write_flags}: clear set-user-ID and set-group-ID bits (with HANDLE_KILLPRIV_V2). */
    static final int FUSE_WRITE_KILL_SUIDGID = 1 << 2;

    /** {@code struct fuse_write_out}, 8 bytes (also the reply to COPY_FILE_RANGE). */
    static final class WriteOut {
        static final int COUNT = 0;
        static final int SIZE = 8;

        private WriteOut() {}
    }

    /** {@code struct fuse_lseek_in}, 24 bytes. */
    static final class LseekIn {
        static final int FH = 0;
        static final int OFFSET = 8;
        static final int WHENCE = 16;
        static final int SIZE = 24;

        private LseekIn() {}
    }

    /** {@code struct fuse_lseek_out}, 8 bytes. */
    static final class LseekOut {
        static final int OFFSET = 0;
        static final int SIZE = 8;

        private LseekOut() {}
    }

    /** {@code struct fuse_copy_file_range_in}, 56 bytes; the source is the header's nodeid. */
    static final class CopyFileRangeIn {
        static final int FH_IN = 0;
        static final int OFF_IN = 8;
        static final int NODEID_OUT = 16;
        static final int FH_OUT = 24;
        static final int OFF_OUT = 32;
        static final int LEN = 40;
        static final int FLAGS = 48;
        static final int SIZE = 56;

        private CopyFileRangeIn() {}
    }

    /** {@code struct fuse_copy_file_range_out} (COPY_FILE_RANGE_64), 8 bytes. */
    static final class CopyFileRangeOut {
        static final int BYTES_COPIED = 0;
        static final int SIZE = 8;

        private CopyFileRangeOut() {}
    }

    /** {@code struct fuse_init_in}, 64 bytes since 7.36 (16 before). */
    static final class InitIn {
        static final int MAJOR = 0;
        static final int MINOR = 4;
        static final int MAX_READAHEAD = 8;
        static final int FLAGS = 12;
        /** Bits 32..63 of the flags; valid only when {@code flags} has {@link #FUSE_INIT_EXT}. */
        static final int FLAGS2 = 16;
        static final int SIZE = 64;

        private InitIn() {}
    }

    /** {@code struct fuse_init_out}, 64 bytes; the kernel reads whatever prefix a reply carries. */
    static final class InitOut {
        static final int MAJOR = 0;
        static final int MINOR = 4;
        static final int MAX_READAHEAD = 8;
        static final int FLAGS = 12;
        /** u16. */
        static final int MAX_BACKGROUND = 16;
        /** u16. */
        static final int CONGESTION_THRESHOLD = 18;
        static final int MAX_WRITE = 20;
        static final int TIME_GRAN = 24;
        /** u16 (7.28). */
        static final int MAX_PAGES = 28;
        /** u16 (7.28). */
        static final int MAP_ALIGNMENT = 30;
        /** 7.36. */
        static final int FLAGS2 = 32;
        /** 7.40: passthrough's stacking limit, counting the FUSE layer itself. */
        static final int MAX_STACK_DEPTH = 36;
        /** u16 (7.43). */
        static final int REQUEST_TIMEOUT = 40;
        /** What libfuse2 (protocol 7.19..7.22) sends: up to and including {@code max_write}. */
        static final int SIZE_7_19 = 24;
        /** Up to and including {@code max_pages} and {@code map_alignment} (7.28). */
        static final int SIZE_7_28 = 32;
        static final int SIZE = 64;

        private InitOut() {}
    }

    /** {@code struct fuse_open_out}, 16 bytes: the reply to OPEN, and the tail of CREATE's. */
    static final class OpenOut {
        static final int FH = 0;
        static final int OPEN_FLAGS = 8;
        /** s32 (7.40), with {@link #FOPEN_PASSTHROUGH}. */
        static final int BACKING_ID = 12;
        static final int SIZE = 16;

        private OpenOut() {}
    }

    /** {@code struct fuse_entry_out} (7.9+), 128 bytes; CREATE replies with it, then {@link OpenOut}. */
    static final int ENTRY_OUT_SIZE = 128;

    // fuse_open_out.open_flags (FOPEN_*).
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_NONSEEKABLE = 1 << 2;
    static final int FOPEN_NOFLUSH = 1 << 5;
    /** Linux 6.2+; only together with {@link #FOPEN_DIRECT_IO}. */
    static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
    /** Linux 6.9+ (7.40); must not be combined with {@link #FOPEN_DIRECT_IO}. */
    static final int FOPEN_PASSTHROUGH = 1 << 7;

    // INIT flags, as 64-bit values: bits 32..63 travel in flags2 (see high/low).
    static final long FUSE_ASYNC_READ = 1L;
    static final long FUSE_BIG_WRITES = 1L << 5;
    static final long FUSE_WRITEBACK_CACHE = 1L << 16;
    static final long FUSE_MAX_PAGES = 1L << 22;
    /**
     * The server clears set-user-ID bits itself on write, truncate and open(O_TRUNC); the kernel
     * then marks the superblock {@code SB_NOSEC} and asks for {@code security.capability} once
     * per inode instead of before every write.
     */
    static final long FUSE_HANDLE_KILLPRIV_V2 = 1L << 28;
    /** The init in/out structs are the 64-byte ones and {@code flags2} is valid. */
    static final long FUSE_INIT_EXT = 1L << 30;
    static final long FUSE_PASSTHROUGH = 1L << 37;
    static final long FUSE_OVER_IO_URING = 1L << 41;

    /** The part of an INIT flag that goes in {@code flags}. */
    static int low(long flag) {
        return (int) flag;
    }

    /** The part of an INIT flag that goes in {@code flags2}. */
    static int high(long flag) {
        return (int) (flag >>> 32);
    }

    /** {@code struct fuse_backing_map}, 16 bytes: the argument of BACKING_OPEN. */
    static final class BackingMap {
        static final int FD = 0;
        /** Must be 0. */
        static final int FLAGS = 4;
        /** u64, must be 0. */
        static final int PADDING = 8;
        static final int SIZE = 16;

        private BackingMap() {}
    }

    /** {@code FUSE_DEV_IOC_MAGIC}. */
    static final int DEV_IOC_MAGIC = 229;
    /** {@code _IOW(229, 1, struct fuse_backing_map)}: returns a backing id >= 1. */
    static final int FUSE_DEV_IOC_BACKING_OPEN = 0x4010E501;
    /** {@code _IOW(229, 2, uint32_t)}: takes a pointer to the backing id. */
    static final int FUSE_DEV_IOC_BACKING_CLOSE = 0x4004E502;

    /** {@code struct iovec}: base, length; not FUSE's, but every reply is written with them. */
    static final int IOVEC_SIZE = 16;
}

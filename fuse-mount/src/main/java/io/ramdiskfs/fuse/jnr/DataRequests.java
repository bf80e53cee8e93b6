package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.fs.ErrnoMapper;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.fuse.jnr.FuseKernel.CopyFileRangeIn;
import io.ramdiskfs.fuse.jnr.FuseKernel.CopyFileRangeOut;
import io.ramdiskfs.fuse.jnr.FuseKernel.InHeader;
import io.ramdiskfs.fuse.jnr.FuseKernel.LseekIn;
import io.ramdiskfs.fuse.jnr.FuseKernel.LseekOut;
import io.ramdiskfs.fuse.jnr.FuseKernel.OutHeader;
import io.ramdiskfs.fuse.jnr.FuseKernel.ReadWriteIn;
import io.ramdiskfs.fuse.jnr.FuseKernel.WriteOut;
import jnr.ffi.LastError;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code READ} and {@code WRITE} requests served straight from the request buffer, without
 * libfuse: a worker answers them itself with one {@code writev} to {@code /dev/fuse}.
 *
 * <p>Why: through libfuse2's high-level API every read cost a {@code malloc} of the request
 * size, a copy from the disk into it, a copy from it into the reader (by the kernel), and around
 * them a path lookup under libfuse's global tree lock and a native-to-Java upcall. Here a read of
 * a RAM disk hands the kernel the disk's own chunk memory as the iovecs of the reply
 * ({@link io.ramdiskfs.disk.DiskBytes#readInPlace}, which holds the chunks' read locks until
 * {@code writev} returns): the data moves once, from the disk to the reader. Zeros come from one
 * read-only anonymous mapping that is never touched, so they cost no memory. A write passes the
 * payload's address in the request buffer to the disk: one copy, as before, minus libfuse.
 *
 * <p>The handle in a request is the file system's own (libfuse2's high-level layer passes
 * {@code fh} through unchanged), so nothing else is needed. A memdiff disk reads in place too:
 * the sectors its RAM layer does not hold are runs of the image, mapped. Reads of a disk that
 * cannot (a read cache in its stack, an image that cannot be mapped) are left to libfuse. Every
 * failure becomes an error reply with its errno; nothing is thrown into the loop.
 */
final class DataRequests {
    private static final Logger log = LoggerFactory.getLogger(DataRequests.class);

    private static final int IN_UNIQUE = InHeader.UNIQUE;
    private static final int IN_FH = InHeader.SIZE + ReadWriteIn.FH;
    private static final int IN_OFFSET = InHeader.SIZE + ReadWriteIn.OFFSET;
    private static final int IN_SIZE = InHeader.SIZE + ReadWriteIn.SIZE_FIELD;
    private static final int IN_WRITE_FLAGS = InHeader.SIZE + ReadWriteIn.RW_FLAGS;
    private static final int WRITE_DATA = InHeader.SIZE + ReadWriteIn.SIZE;
    private static final int OUT_HEADER = OutHeader.SIZE;
    private static final int WRITE_OUT = WriteOut.SIZE;
    private static final int IOVEC = FuseKernel.IOVEC_SIZE;
    /** The kernel's UIO_MAXIOV; the reply header takes one. */
    static final int MAX_IOVECS = 1024;

    private final DiskDirectory dir;
    private final int fd;
    private final int maxRequestBytes;
    private final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    /** maxRequestBytes of zeros, read-only and never written: the kernel copies from the zero page. */
    private final long zeros;
    private final Pointer zerosMapping;

    /**
     * @param fd              the mount's {@code /dev/fuse} descriptor
     * @param maxRequestBytes the largest read the kernel may ask for
     */
    DataRequests(DiskDirectory dir, int fd, int maxRequestBytes) {
        this.dir = dir;
        this.fd = fd;
        this.maxRequestBytes = maxRequestBytes;
        Pointer p = libc.mmap(null, maxRequestBytes, Libc.PROT_READ,
                Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        long a = p == null ? 0 : p.address();
        if (a == 0 || a == -1) {
            throw new IllegalStateException("mmap of " + maxRequestBytes + " bytes of zeros failed");
        }
        this.zeros = a;
        this.zerosMapping = p;
    }

    /** Unmaps the zeros; call once no worker serves requests any more. */
    void close() {
        libc.munmap(zerosMapping, maxRequestBytes);
    }

    /** State of one worker thread: its reply header and iovecs. Not shared between threads. */
    Worker worker() {
        return new Worker();
    }

    final class Worker implements ReadVector {
        /** iovec[0] = the out header at {@link #header}, then the runs of a read. */
        private final long iov = NativeMemory.allocate((long) MAX_IOVECS * IOVEC + OUT_HEADER + WRITE_OUT);
        private final long header = iov + (long) MAX_IOVECS * IOVEC;
        /** For the rare read whose runs do not fit the iovecs: a copy. */
        private long copyBuffer;
        private int count;
        private boolean overflowed;
        private long unique;

        private Worker() {
            NativeMemory.putLong(iov, header);
            NativeMemory.putLong(iov + 8, OUT_HEADER);
        }

        /**
         * Serves the request in {@code buf} ({@code length} bytes) if {@link NativeOps} lists its
         * opcode and its handler takes it (a READ only of a disk that can be read in place).
         *
         * @return false when libfuse should process the request
         */
        boolean serve(long buf, int length) {
            NativeOps.Op op = NativeOps.forRequest(NativeMemory.getInt(buf + InHeader.OPCODE), length);
            return op != null && op.handler().serve(this, buf, length);
        }

        /** READ: the disk's memory as the reply's iovecs; false when the disk cannot be read in place. */
        boolean read(long buf, int length) {
            long fh = NativeMemory.getLong(buf + IN_FH);
            long offset = NativeMemory.getLong(buf + IN_OFFSET);
            int size = NativeMemory.getInt(buf + IN_SIZE);
            unique = NativeMemory.getLong(buf + IN_UNIQUE);
            count = 1;
            overflowed = false;
            try {
                if (size < 0 || size > maxRequestBytes) {
                    throw new FsException(Errno.EINVAL, "read of " + Integer.toUnsignedString(size)
                            + " bytes exceeds the largest request of " + maxRequestBytes);
                }
                int n = dir.readInPlace(fh, offset, size, this);
                if (n < 0) {
                    return false;
                }
                if (n == 0) {
                    reply(0, 0, 1);
                } else if (overflowed) {
                    readCopy(fh, offset, size);
                }
            } catch (Throwable t) {
                reply(ErrnoMapper.fail("read", "handle " + fh, offset, Integer.toUnsignedLong(size), t), 0, 1);
            }
            return true;
        }

        /** The runs did not fit the iovecs (a chunk of many alternating data and zero sectors). */
        private void readCopy(long fh, long offset, int size) throws FsException, DiskException {
            if (copyBuffer == 0) {
                copyBuffer = NativeMemory.allocate(maxRequestBytes);
            }
            int n = dir.readAgain(fh, offset, null, copyBuffer, size); // readInPlace counted it
            NativeMemory.putLong(iov + IOVEC, copyBuffer);
            NativeMemory.putLong(iov + IOVEC + 8, n);
            reply(0, n, 2);
        }

        @Override
        public void data(long address, long length) {
            run(address, length);
        }

        @Override
        public void zeros(long length) {
            run(zeros, length);
        }

        private void run(long address, long length) {
            if (count > 1) {
                // Neighbouring runs merge: zeros after zeros, chunks that lie side by side in memory.
                long last = iov + (long) (count - 1) * IOVEC;
                long lastBase = NativeMemory.getLong(last);
                long lastLength = NativeMemory.getLong(last + 8);
                if (lastBase + lastLength == address || (address == zeros && lastBase == zeros)) {
                    NativeMemory.putLong(last + 8, lastLength + length);
                    return;
                }
            }
            if (count == MAX_IOVECS) {
                overflowed = true;
                return;
            }
            long at = iov + (long) count * IOVEC;
            NativeMemory.putLong(at, address);
            NativeMemory.putLong(at + 8, length);
            count++;
        }

        @Override
        public void deliver(int bytes) {
            if (!overflowed) {
                reply(0, bytes, count);
            }
        }

        /** WRITE: the payload's address in the request buffer goes to the disk. */
        boolean write(long buf, int length) {
            long fh = NativeMemory.getLong(buf + IN_FH);
            long offset = NativeMemory.getLong(buf + IN_OFFSET);
            int size = NativeMemory.getInt(buf + IN_SIZE);
            unique = NativeMemory.getLong(buf + IN_UNIQUE);
            try {
                if (size < 0 || size > length - WRITE_DATA) {
                    throw new FsException(Errno.EINVAL, "write of "
                            + Integer.toUnsignedString(size) + " bytes carries " + (length - WRITE_DATA));
                }
                int n = dir.write(fh, offset, null, buf + WRITE_DATA, size);
                if ((NativeMemory.getInt(buf + IN_WRITE_FLAGS) & FuseKernel.FUSE_WRITE_KILL_SUIDGID) != 0) {
                    dir.dropSetIdBits(fh); // asked for with FUSE_HANDLE_KILLPRIV_V2 (passthrough mounts)
                }
                NativeMemory.putInt(header + OUT_HEADER + WriteOut.COUNT, n);
                NativeMemory.putInt(header + OUT_HEADER + WriteOut.COUNT + 4, 0); // padding
                reply(0, WRITE_OUT, 1);
            } catch (Throwable t) {
                reply(ErrnoMapper.fail("write", "handle " + fh, offset, Integer.toUnsignedLong(size), t), 0, 1);
            }
            return true;
        }

        /**
         * LSEEK (protocol 7.24): SEEK_DATA / SEEK_HOLE from the disk's layers. Served here, never
         * by libfuse2, whose ENOSYS would turn SEEK_DATA off for the whole connection.
         */
        boolean lseek(long buf, int length) {
            long at = buf + InHeader.SIZE;
            long fh = NativeMemory.getLong(at + LseekIn.FH);
            long offset = NativeMemory.getLong(at + LseekIn.OFFSET);
            int whence = NativeMemory.getInt(at + LseekIn.WHENCE);
            unique = NativeMemory.getLong(buf + IN_UNIQUE);
            try {
                NativeMemory.putLong(header + OUT_HEADER + LseekOut.OFFSET, dir.seek(fh, offset, whence));
                reply(0, LseekOut.SIZE, 1);
            } catch (Throwable t) {
                reply(ErrnoMapper.fail("lseek", "handle " + fh, offset, whence, t), 0, 1);
            }
            return true;
        }

        /** COPY_FILE_RANGE (protocol 7.28): the count fits {@code fuse_write_out}'s 32 bits. */
        boolean copyFileRange(long buf, int length) {
            return copy(buf, false);
        }

        /** COPY_FILE_RANGE_64 (7.45): the same with a 64-bit count. */
        boolean copyFileRange64(long buf, int length) {
            return copy(buf, true);
        }

        /**
         * A copy inside the mount ({@link DiskDirectory#copyRange}): a whole disk, or a disk's data
         * extents into a fresh one, becomes a clone that copies nothing.
         */
        private boolean copy(long buf, boolean wide) {
            long at = buf + InHeader.SIZE;
            long fhIn = NativeMemory.getLong(at + CopyFileRangeIn.FH_IN);
            long offIn = NativeMemory.getLong(at + CopyFileRangeIn.OFF_IN);
            long fhOut = NativeMemory.getLong(at + CopyFileRangeIn.FH_OUT);
            long offOut = NativeMemory.getLong(at + CopyFileRangeIn.OFF_OUT);
            long len = NativeMemory.getLong(at + CopyFileRangeIn.LEN);
            long flags = NativeMemory.getLong(at + CopyFileRangeIn.FLAGS);
            unique = NativeMemory.getLong(buf + IN_UNIQUE);
            try {
                if (flags != 0) {
                    throw new FsException(Errno.EINVAL, "copy_file_range flags " + flags + " are not supported");
                }
                if (len < 0) {
                    throw new FsException(Errno.EINVAL, "copy_file_range length " + Long.toUnsignedString(len) + " is too large");
                }
                // The 32-bit reply caps a copy where the kernel caps it too: UINT_MAX & PAGE_MASK.
                long n = dir.copyRange(fhIn, offIn, fhOut, offOut, wide ? len : Math.min(len, 0xFFFF_F000L));
                if (wide) {
                    NativeMemory.putLong(header + OUT_HEADER + CopyFileRangeOut.BYTES_COPIED, n);
                } else {
                    NativeMemory.putInt(header + OUT_HEADER + WriteOut.COUNT, (int) n);
                    NativeMemory.putInt(header + OUT_HEADER + WriteOut.COUNT + 4, 0); // padding
                }
                reply(0, WRITE_OUT, 1);
            } catch (Throwable t) {
                reply(ErrnoMapper.fail("copy_file_range", "handle " + fhIn + " to handle " + fhOut, offIn, len, t), 0, 1);
            }
            return true;
        }

        /**
         * Sends the reply: the header (error, or the {@code payload} bytes that follow it: the
         * write's fuse_write_out inside iovec 0, or the runs in iovecs 1..count-1).
         */
        private void reply(int error, int payload, int iovecs) {
            NativeMemory.putInt(header + OutHeader.LEN, OUT_HEADER + (error == 0 ? payload : 0));
            NativeMemory.putInt(header + OutHeader.ERROR, error);
            NativeMemory.putLong(header + OutHeader.UNIQUE, unique);
            NativeMemory.putLong(iov + 8, OUT_HEADER + (error == 0 && iovecs == 1 ? payload : 0));
            long n = libc.writev(fd, iov, error == 0 ? iovecs : 1);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno == Errno.EFAULT.code() && error == 0 && iovecs > 1) {
                    // A run the kernel could not copy from (an image shrunk under its mapping):
                    // the reader gets EIO rather than waiting forever for an answer.
                    log.warn("the reply to read request {} could not be copied (EFAULT); answering EIO", unique);
                    reply(-Errno.EIO.code(), 0, 1);
                } else if (errno != Errno.ENOENT.code()) { // ENOENT: the request was interrupted; nobody waits for it
                    log.warn("writing the reply to request {} to /dev/fuse failed with errno {}", unique, errno);
                }
            }
        }

        /** Frees the worker's memory; call when its thread is done. */
        void close() {
            NativeMemory.free(iov);
            if (copyBuffer != 0) {
                NativeMemory.free(copyBuffer);
            }
        }
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.stats.OpCounter;
import java.util.function.LongSupplier;

/**
 * The requests that work on ranges of open disks rather than on bytes the caller brings:
 * {@code copy_file_range} (shared layers where it can, a copy here where it cannot),
 * {@code lseek} with SEEK_DATA and SEEK_HOLE, truncate and {@code fallocate} (a size or a range
 * of zeros). A change of size is told to the doors' watchers.
 */
public final class RangeOperations {
    /** {@code lseek} whence values the kernel passes on: SEEK_DATA and SEEK_HOLE (the others it answers itself). */
    public static final int SEEK_SET = 0;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    private final OpenHandles handles;
    private final Namespace namespace;
    private final LongSupplier clock;

    RangeOperations(OpenHandles handles, Namespace namespace, LongSupplier clock) {
        this.handles = handles;
        this.namespace = namespace;
        this.clock = clock;
    }

    /**
     * Copies {@code length} bytes from one open disk to another (or the same one). When the
     * offsets are equal and sector-aligned and the disks can share layers
     * ({@link LayeredDisk#shareRange}) nothing is copied: this is how {@code cp} of a disk becomes
     * a clone. Anything else is copied here, through a buffer, without a round trip to the caller.
     *
     * @return the bytes copied: {@code length}, or fewer when the source ends first
     */
    long copyRange(long fhIn, long offIn, long fhOut, long offOut, long length) throws FsException, DiskException {
        DiskFile in = handles.file(fhIn);
        DiskFile out = handles.file(fhOut);
        if (offIn < 0 || offOut < 0 || length < 0 || length > Long.MAX_VALUE - offIn || length > Long.MAX_VALUE - offOut) {
            throw new FsException(Errno.EINVAL, "copy of " + length + " bytes from " + offIn + " to " + offOut + " is out of range");
        }
        if (out.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the destination disk is read-only");
        }
        long size = in.size();
        if (offIn >= size || length == 0) {
            return 0;
        }
        long n = Math.min(length, size - offIn);
        int ss = in.disk().sectorSize();
        if (offIn == offOut && offIn % ss == 0 && n % ss == 0
                && LayeredDisk.shareRange(in.disk(), out.disk(), offIn / ss, n / ss)) {
            out.touchContent(clock.getAsLong());
            return n;
        }
        long buffer = CopyBuffers.take();
        try {
            return copyThrough(in, out, offIn, offOut, n, buffer);
        } finally {
            CopyBuffers.give(buffer);
        }
    }

    private long copyThrough(DiskFile in, DiskFile out, long offIn, long offOut, long n, long buffer)
            throws DiskException {
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(CopyBuffers.BYTES, n - done);
            int got = in.disk().bytes().read(offIn + done, null, buffer, piece);
            if (got <= 0) {
                return done;
            }
            try {
                out.disk().bytes().write(offOut + done, null, buffer, got);
            } catch (DiskException e) {
                if (done == 0) {
                    throw e;
                }
                // Pieces are written already: say how many bytes, as a short write does, rather
                // than an error over a destination that changed. The caller's next call gets it.
                out.touchContent(clock.getAsLong());
                return done;
            }
            done += got;
            if (done == n) {
                break;
            }
        }
        out.touchContent(clock.getAsLong());
        return n;
    }

    /**
     * {@code lseek(2)} of an open disk: SEEK_DATA and SEEK_HOLE from its layers
     * ({@link LayeredDisk#seekData}); ENXIO at or past the end, as on any file system.
     */
    long seek(long fh, long offset, int whence) throws FsException {
        LayeredDisk d = handles.file(fh).disk();
        long answer = switch (whence) {
            case SEEK_SET -> offset;
            case SEEK_END -> d.sizeBytes() + offset;
            case SEEK_DATA -> d.seekData(offset);
            case SEEK_HOLE -> d.seekHole(offset);
            default -> throw new FsException(Errno.EINVAL, "lseek whence " + whence + " is not SEEK_DATA or SEEK_HOLE");
        };
        if (answer < 0) {
            throw new FsException(Errno.ENXIO, "offset " + offset + " lies at or past the end of the disk ("
                    + d.sizeBytes() + " bytes)" + (whence == SEEK_DATA ? " or no data follows it" : ""));
        }
        return answer;
    }

    /** truncate and ftruncate: the disk takes {@code size} bytes. */
    void resize(DiskFile f, long size) throws FsException, DiskException {
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the disk is read-only");
        }
        boolean changes = f.size() != size;
        if (changes) {
            f.disk().bytes().resize(size);
        }
        f.touchContent(clock.getAsLong());
        if (changes) {
            namespace.resized(f);
        }
    }

    /**
     * {@code fallocate(2)}: PUNCH_HOLE|KEEP_SIZE and ZERO_RANGE[|KEEP_SIZE] make the range read
     * zeros and free its memory; mode 0 grows the disk to cover the range; KEEP_SIZE alone has
     * nothing to reserve. Everything else is EOPNOTSUPP.
     */
    void fallocate(DiskFile f, int mode, long offset, long length) throws FsException, DiskException {
        if (offset < 0 || length <= 0 || length > Long.MAX_VALUE - offset) {
            throw new FsException(Errno.EINVAL, "fallocate range offset " + offset + " length " + length + " is invalid");
        }
        int known = Fallocate.KEEP_SIZE | Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE;
        if ((mode & ~known) != 0 || (mode & (Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE)) == (Fallocate.PUNCH_HOLE | Fallocate.ZERO_RANGE)) {
            throw new FsException(Errno.EOPNOTSUPP, "fallocate mode " + Fallocate.describe(mode) + " is not supported");
        }
        if (f.disk().isReadOnly()) {
            throw new FsException(Errno.EROFS, "the disk is read-only");
        }
        boolean keepSize = (mode & Fallocate.KEEP_SIZE) != 0;
        long sizeBefore = f.size();
        if ((mode & Fallocate.PUNCH_HOLE) != 0) {
            if (!keepSize) {
                throw new FsException(Errno.EOPNOTSUPP, "fallocate PUNCH_HOLE needs KEEP_SIZE (mode " + Fallocate.describe(mode) + ")");
            }
            discard(f, offset, length, false);
        } else if ((mode & Fallocate.ZERO_RANGE) != 0) {
            discard(f, offset, length, !keepSize);
        } else if (!keepSize) {
            f.disk().bytes().growTo(offset + length);
        }
        f.touchContent(clock.getAsLong());
        if (f.size() != sizeBefore) {
            namespace.resized(f);
        }
    }

    /** A punched hole or zeroed range: counted as a discard of {@code length} bytes. */
    private static void discard(DiskFile f, long offset, long length, boolean grow) throws DiskException {
        long start = OpCounter.start();
        try {
            if (grow) {
                f.disk().bytes().growTo(offset + length);
            }
            f.disk().bytes().unmap(offset, length);
        } catch (DiskException | RuntimeException e) {
            f.io().discards().failed();
            throw e;
        }
        f.io().discards().record(length, start);
    }
}

package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.SectorRange;
import io.ramdiskfs.disk.SectorRun;
import io.ramdiskfs.fs.BackingFile;
import io.ramdiskfs.disks.Errno;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;

/**
 * The one layer of a passthrough disk: its bytes in a tmpfs file ({@link BackingFilePool}), which
 * the kernel reads and writes directly on passthrough opens, and which this layer reads and
 * writes with {@code pread}/{@code pwrite} for everything else (opens made before passthrough was
 * negotiated, a kernel without it).
 *
 * <p>Why the file is the truth: writes through passthrough never reach the process, so size and
 * memory use are asked of the file each time ({@code statx}), never counted here. A passthrough
 * write may end inside a sector; the size is then rounded up to the next sector by extending the
 * file ({@code fallocate}, which never shrinks it, so a concurrent extending write is safe). A
 * punched range ({@code FALLOC_FL_PUNCH_HOLE}) frees its pages; the tmpfs instance's size limit
 * is the memory budget and answers {@code ENOSPC} itself, also to passthrough writes.
 */
public final class BackingFileLayer implements LayerIo, BackingFile {
    private final Libc libc = Libc.get();
    private final Runtime runtime = Runtime.getSystemRuntime();
    private final int fd;
    private final int sectorSize;
    private final boolean readOnly;
    /**
     * Calls using {@link #fd} in flight (the low bits) and {@link #CLOSED}: {@code close(2)} is
     * made by the last call to leave, never under one, and a call after the close does not start.
     * A late call would otherwise use a descriptor number the process may have given to another
     * file since (issue #20 item 13).
     */
    private final AtomicInteger calls = new AtomicInteger();
    private static final int CLOSED = 1 << 30;
    private volatile Runnable release;
    /**
     * What {@code statx} said last: a failed one (or a question after the close) answers with
     * these, never with 0, which would read as a disk of no size (issue #20 item 13).
     */
    private volatile long lastSize;
    private volatile long lastBlocks;
    private volatile long lastMtimeNanos;

    BackingFileLayer(int fd, int sectorSize, boolean readOnly) {
        this.fd = fd;
        this.sectorSize = sectorSize;
        this.readOnly = readOnly;
        refresh();
    }

    /** Starts a call that uses the descriptor; false once the layer is closed. */
    private boolean enter() {
        while (true) {
            int c = calls.get();
            if ((c & CLOSED) != 0) {
                return false;
            }
            if (calls.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    private void exit() {
        if (calls.decrementAndGet() == CLOSED) {
            libc.close(fd); // the last call out of a closed layer
        }
    }

    private static DiskException closedError() {
        return new DiskException(DiskError.IO, "the passthrough disk's backing file is closed (the disk was removed)");
    }

    @Override
    public String kind() {
        return "tmpfs";
    }

    @Override
    public String description() {
        return "passthrough file, " + sizeBytes() + " bytes";
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public long sectorCount() {
        long size = sizeBytes();
        long tail = size % sectorSize;
        if (tail != 0) {
            // A passthrough write ended inside a sector: the disk is whole sectors. The file is
            // extended to match; where it is not (a read-only disk, which is never changed; a
            // failed fallocate, the budget full; a closed layer) the sector still counts, safely:
            // reads past the end of the file are zeros, and a write there extends it or fails.
            if (!readOnly && enter()) {
                try {
                    libc.fallocate(fd, 0, size, sectorSize - tail);
                } finally {
                    exit();
                }
            }
            size += sectorSize - tail;
        }
        return size / sectorSize;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public int descriptor() {
        return fd;
    }

    @Override
    public void onClose(Runnable release) {
        this.release = release;
    }

    @Override
    public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
        SectorRange.check(sector, count, sectorCount());
        if (!enter()) {
            throw closedError();
        }
        try {
            readRange(base, offset, sector, count);
        } finally {
            exit();
        }
        if (marker != null) {
            marker.setRange(sector, sector + count);
        }
    }

    private void readRange(Object base, long offset, long sector, int count) throws DiskException {
        long bytes = (long) count * sectorSize;
        if (base == null) {
            readFully(offset, bytes, sector * sectorSize);
        } else {
            long bounce = NativeMemory.allocate(Math.max(bytes, 1));
            try {
                readFully(bounce, bytes, sector * sectorSize);
                NativeMemory.copy(null, bounce, base, offset, bytes);
            } finally {
                NativeMemory.free(bounce);
            }
        }
    }

    private void readFully(long address, long bytes, long position) throws DiskException {
        long done = 0;
        while (done < bytes) {
            long n = libc.pread(fd, address + done, bytes - done, position + done);
            if (n < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno == Errno.EINTR.code()) {
                    continue;
                }
                throw new DiskException(DiskError.IO, "pread of the backing file failed with errno " + errno);
            }
            if (n == 0) {
                // Shrunk under us: the rest reads as zeros.
                NativeMemory.zero(null, address + done, bytes - done);
                return;
            }
            done += n;
        }
    }

    @Override
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        checkWritable();
        SectorRange.check(sector, count, sectorCount());
        if (!enter()) {
            throw closedError();
        }
        try {
            writeRange(base, offset, sector, count);
        } finally {
            exit();
        }
    }

    private void writeRange(Object base, long offset, long sector, int count) throws DiskException {
        long bytes = (long) count * sectorSize;
        long address = offset;
        long bounce = 0;
        if (base != null) {
            bounce = NativeMemory.allocate(Math.max(bytes, 1));
            NativeMemory.copy(base, offset, null, bounce, bytes);
            address = bounce;
        }
        try {
            long done = 0;
            while (done < bytes) {
                long n = libc.pwrite(fd, address + done, bytes - done, sector * sectorSize + done);
                if (n < 0) {
                    int errno = LastError.getLastError(runtime);
                    if (errno == Errno.EINTR.code()) {
                        continue;
                    }
                    throw failure("pwrite", errno);
                }
                done += n;
            }
        } finally {
            if (bounce != 0) {
                NativeMemory.free(bounce);
            }
        }
    }

    @Override
    public void unmap(long sector, long count, long zeroBelowFrom) throws DiskException {
        checkWritable();
        SectorRange.check(sector, count, sectorCount());
        if (count == 0) {
            return;
        }
        if (!enter()) {
            throw closedError();
        }
        try {
            if (libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, sector * sectorSize, count * sectorSize) != 0) {
                throw failure("fallocate(PUNCH_HOLE)", LastError.getLastError(runtime));
            }
        } finally {
            exit();
        }
    }

    @Override
    public void flush() {
        // Memory: nothing to make durable.
    }

    @Override
    public void resize(long newSectorCount) throws DiskException {
        checkWritable();
        if (newSectorCount < 0 || newSectorCount > SectorRange.maxSectorCount(sectorSize)) {
            throw DiskException.illegalBlock(newSectorCount, 0, sectorCount());
        }
        if (!enter()) {
            throw closedError();
        }
        try {
            if (libc.ftruncate(fd, newSectorCount * sectorSize) != 0) {
                throw failure("ftruncate", LastError.getLastError(runtime));
            }
        } finally {
            exit();
        }
    }

    /**
     * Data or a hole, from the file's own SEEK_DATA / SEEK_HOLE (tmpfs answers by page), so that
     * {@code cp --sparse}, {@code qemu-img} and saving skip what was never written or was punched:
     * a sector is data when any of its bytes is. Claims data when the file cannot say.
     */
    @Override
    public SectorRun run(long sector, long limit, SectorRun out) {
        if (!enter()) {
            return out.set(SectorRun.DATA, limit); // closed: claim data, as when the file cannot say
        }
        try {
            return runFrom(sector, limit, out);
        } finally {
            exit();
        }
    }

    private SectorRun runFrom(long sector, long limit, SectorRun out) {
        long pos = sector * sectorSize;
        long data = libc.lseek(fd, pos, Libc.SEEK_DATA);
        if (data < 0) {
            // ENXIO: no data from here to the end of the file.
            return LastError.getLastError(runtime) == Errno.ENXIO.code() ? out.set(SectorRun.ZERO, limit) : out.set(SectorRun.DATA, limit);
        }
        if (data / sectorSize >= limit) {
            return out.set(SectorRun.ZERO, limit);
        }
        if (data / sectorSize > sector) {
            return out.set(SectorRun.ZERO, data / sectorSize);
        }
        long hole = libc.lseek(fd, pos, Libc.SEEK_HOLE);
        if (hole < 0) {
            return out.set(SectorRun.DATA, Math.max(sector + 1, limit));
        }
        long end = (hole + sectorSize - 1) / sectorSize;
        return out.set(SectorRun.DATA, Math.max(sector + 1, Math.min(limit, end)));
    }

    @Override
    public long committedBytes() {
        refresh();
        return lastBlocks * 512;
    }

    @Override
    public long modifiedNanos() {
        refresh();
        return lastMtimeNanos;
    }

    private long sizeBytes() {
        refresh();
        return lastSize;
    }

    /** Asks the file (passthrough writes change it without us); keeps the last answers when it cannot say. */
    private void refresh() {
        if (!enter()) {
            return;
        }
        long buf = NativeMemory.allocate(Libc.STATX_BYTES);
        try {
            if (libc.statx(fd, "", Libc.AT_EMPTY_PATH, Libc.STATX_SIZE_BLOCKS_TIMES, buf) == 0) {
                lastSize = NativeMemory.getLong(buf + Libc.STATX_SIZE_AT);
                lastBlocks = NativeMemory.getLong(buf + Libc.STATX_BLOCKS_AT);
                lastMtimeNanos = NativeMemory.getLong(buf + Libc.STATX_MTIME_AT) * 1_000_000_000L
                        + Integer.toUnsignedLong(NativeMemory.getInt(buf + Libc.STATX_MTIME_AT + 8));
            }
        } finally {
            NativeMemory.free(buf);
            exit();
        }
    }

    private void checkWritable() throws DiskException {
        if (readOnly) {
            throw new DiskException(DiskError.READ_ONLY, "the disk is read-only");
        }
    }

    private static DiskException failure(String op, int errno) {
        if (errno == Errno.ENOSPC.code()) {
            return new DiskException(DiskError.NO_SPACE, op + ": the memory budget is used up");
        }
        if (errno == Errno.EFBIG.code()) {
            return new DiskException(DiskError.TOO_LARGE, op + ": larger than the memory budget allows");
        }
        return new DiskException(DiskError.IO, op + " of the backing file failed with errno " + errno);
    }

    @Override
    public void close() {
        int c;
        do {
            c = calls.get();
            if ((c & CLOSED) != 0) {
                return;
            }
        } while (!calls.compareAndSet(c, c | CLOSED));
        Runnable r = release;
        if (r != null) {
            r.run();
        }
        if (c == 0) {
            libc.close(fd); // else the last call in flight closes it (exit)
        }
    }
}

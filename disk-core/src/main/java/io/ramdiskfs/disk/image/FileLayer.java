package io.ramdiskfs.disk.image;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.SectorRange;
import io.ramdiskfs.disk.SectorRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A raw image as a layer: a regular file or a block device (its size from the device); every
 * sector is present. Read-only, except under a {@code writethrough:} disk, which opens it
 * read-write and writes every acknowledged write into it. SEEK_DATA / SEEK_HOLE come from the
 * image's own holes ({@link ImageHoles}; a device, or a layer opened without a finder, claims
 * data everywhere). A read is one positional read
 * ({@code pread}) from the page cache straight into the caller's memory, through a per-thread
 * buffer view, so it allocates nothing and copies once.
 *
 * <p>Why not a memory mapping: the first touch of every mapped page costs a page fault, which
 * made one-pass 1 MiB reads through a mapping half as fast as {@code pread}, and mapped pages
 * count in the process's resident size although they are only page cache.
 */
public final class FileLayer implements LayerIo {
    private static final Logger log = LoggerFactory.getLogger(FileLayer.class);
    private final Path path;
    private final int sectorSize;
    private final int sectorShift;
    private final long sectorCount;
    private final boolean writable;
    private final ImageHoles holes;
    /** Set once a commit renamed a new image over {@link #path}: the path no longer opens this image. */
    private volatile boolean replaced;
    private volatile FileChannel channel;
    private volatile boolean closed;
    /** Mapped on the first read in place; null before, or when the mapping failed. */
    private volatile ImageMapping mapping;
    private boolean mappingFailed;

    private FileLayer(Path path, int sectorSize, long size, FileChannel channel, boolean writable, ImageHoles holes) {
        this.path = path;
        this.writable = writable;
        this.holes = holes;
        this.sectorSize = sectorSize;
        this.sectorShift = Integer.numberOfTrailingZeros(sectorSize);
        this.sectorCount = size / sectorSize;
        this.channel = channel;
    }

    /**
     * Opens an image.
     *
     * @throws IllegalArgumentException when the image is missing, not a regular file, empty, not
     *     a multiple of the sector size, too large, or unreadable; the message names the path
     */
    public static FileLayer open(Path path, int sectorSize) {
        return open(path, sectorSize, false, ImageHoles.ALL_DATA);
    }

    /**
     * Opens an image, read-write when {@code writable} (for write-through), with its holes from
     * {@code finder}.
     */
    public static FileLayer open(Path path, int sectorSize, boolean writable, ImageHoles.Finder finder) {
        if (!SectorRange.isValidSectorSize(sectorSize)) {
            throw new IllegalArgumentException("sector size " + sectorSize + " is not a power of two in [512, "
                    + SectorRange.MAX_SECTOR_SIZE + "]");
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("image " + path + " does not exist");
        }
        if (!Files.isRegularFile(path) && !isBlockDevice(path)) {
            throw new IllegalArgumentException("image " + path + " is neither a regular file nor a block device");
        }
        FileChannel ch;
        try {
            ch = writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + path + " cannot be read: " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size == 0) {
                throw new IllegalArgumentException("image " + path + " is empty");
            }
            if (size % sectorSize != 0) {
                throw new IllegalArgumentException("image " + path + " size " + size
                        + " is not a multiple of the sector size " + sectorSize);
            }
            if (size > SectorRange.MAX_DISK_BYTES) {
                throw new IllegalArgumentException("image " + path + " size " + size + " exceeds "
                        + SectorRange.MAX_DISK_BYTES + " bytes");
            }
            ImageHoles holes;
            try {
                holes = isBlockDevice(path) ? ImageHoles.allData(path, size) : finder.open(path, size);
            } catch (IOException | RuntimeException | LinkageError e) {
                log.debug("image {}: no SEEK_DATA ({}); it claims data everywhere", path, e.toString());
                holes = ImageHoles.allData(path, size);
            }
            return new FileLayer(path, sectorSize, size, ch, writable, holes);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("image " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** True for a block device (a local disk, an NBD or RBD device): sized by the device. */
    public static boolean isBlockDevice(Path path) {
        try {
            return ((Integer) Files.getAttribute(path, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * False once a commit has renamed a new image over {@link #path}: this layer still reads the
     * old image through its open descriptor, but opening the path would find the new one.
     */
    public boolean pathIsCurrent() {
        return !replaced;
    }

    /** True once closed: no disk reads this image any more. */
    public boolean isClosed() {
        return closed;
    }

    /** A commit renamed a new image over this one's path; see {@link #pathIsCurrent}. */
    public void markReplaced() {
        replaced = true;
    }

    @Override
    public String kind() {
        return "file";
    }

    @Override
    public String description() {
        return path.toString();
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public long sectorCount() {
        return sectorCount;
    }

    @Override
    public boolean isReadOnly() {
        return !writable;
    }

    @Override
    public long committedBytes() {
        return 0;
    }

    @Override
    public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
        SectorRange.check(sector, count, sectorCount);
        long pos = sector << sectorShift;
        int length = count << sectorShift;
        ByteBuffer dst = base == null
                ? NativeMemory.view(offset, length)
                : ByteBuffer.wrap((byte[]) base, (int) (offset - NativeMemory.BYTE_ARRAY_BASE), length);
        int start = dst.position();
        try {
            while (dst.hasRemaining()) {
                int n = channel().read(dst, pos + dst.position() - start);
                if (n < 0) {
                    throw new DiskException(DiskError.IO, "image " + path + " ended at byte " + (pos + dst.position() - start)
                            + " while " + sectorCount * sectorSize + " were expected: was it truncated?");
                }
            }
        } catch (IOException e) {
            throw new DiskException(DiskError.IO, "image " + path + " could not be read at byte " + pos + ": " + e, e);
        }
        if (marker != null) {
            marker.setRange(sector, sector + count);
        }
    }

    /**
     * The channel, reopened if an interrupted reader closed it (a channel closes for every user
     * when one thread is interrupted during a read).
     */
    private FileChannel channel() throws IOException {
        FileChannel ch = channel;
        if (ch.isOpen()) {
            return ch;
        }
        synchronized (this) {
            if (closed || (replaced && !channel.isOpen())) {
                // Replaced: the path now opens the committed image, not this one; fail rather than read it.
                throw new ClosedChannelException();
            }
            if (!channel.isOpen()) {
                channel = writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                        : FileChannel.open(path, StandardOpenOption.READ);
            }
            return channel;
        }
    }

    /**
     * Write-through only: one positional write ({@code pwrite}) into the image. Once it returns
     * the data is in the kernel's page cache, so it survives a kill -9 of this process; a
     * {@code fua} write (and {@link #flush}) also forces it to the device, which survives power loss.
     */
    @Override
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        checkWritable();
        SectorRange.check(sector, count, sectorCount);
        long pos = sector << sectorShift;
        int length = count << sectorShift;
        ByteBuffer src = base == null
                ? NativeMemory.view(offset, length)
                : ByteBuffer.wrap((byte[]) base, (int) (offset - NativeMemory.BYTE_ARRAY_BASE), length);
        int start = src.position();
        try {
            while (src.hasRemaining()) {
                channel().write(src, pos + src.position() - start);
            }
            if (fua) {
                channel().force(false);
            }
        } catch (IOException e) {
            throw new DiskException(DiskError.IO, "image " + path + " could not be written at byte " + pos + ": " + e, e);
        }
    }

    /** Write-through only: zeros written over the range (Java cannot punch a hole). */
    @Override
    public void unmap(long sector, long count, long zeroBelowFrom) throws DiskException {
        checkWritable();
        SectorRange.check(sector, count, sectorCount);
        int piece = 1 << 20;
        ByteBuffer zeros = ByteBuffer.allocateDirect(piece);
        long pos = sector << sectorShift;
        long end = (sector + count) << sectorShift;
        try {
            while (pos < end) {
                zeros.clear().limit((int) Math.min(piece, end - pos));
                pos += channel().write(zeros, pos);
            }
        } catch (IOException e) {
            throw new DiskException(DiskError.IO, "image " + path + " could not be zeroed at byte " + pos + ": " + e, e);
        } finally {
            NativeMemory.release(zeros);
        }
    }

    private void checkWritable() throws DiskException {
        if (!writable) {
            throw new DiskException(DiskError.READ_ONLY, "image " + path + " is read-only");
        }
    }

    @Override
    public void flush() throws DiskException {
        if (!writable) {
            return; // nothing to make durable
        }
        try {
            channel().force(false);
        } catch (IOException e) {
            throw new DiskException(DiskError.IO, "image " + path + " could not be flushed: " + e, e);
        }
    }

    /**
     * Data or a hole, from the image's own SEEK_DATA / SEEK_HOLE: a sector is data when any of its
     * bytes is (holes are whole file-system blocks, so this rounds outwards only for odd layouts).
     */
    @Override
    public SectorRun run(long sector, long limit, SectorRun out) {
        long pos = sector << sectorShift;
        try {
            long data = holes.nextData(pos);
            if (data < 0 || (data >> sectorShift) >= limit) {
                return out.set(SectorRun.ZERO, limit);
            }
            if ((data >> sectorShift) > sector) {
                return out.set(SectorRun.ZERO, data >> sectorShift);
            }
            long hole = holes.nextHole(pos);
            long end = (hole + sectorSize - 1) >> sectorShift;
            return out.set(SectorRun.DATA, Math.max(sector + 1, Math.min(limit, end)));
        } catch (IOException | RuntimeException e) {
            return out.set(SectorRun.DATA, limit);
        }
    }

    /**
     * The image mapped, for a RAM layer above to read through in place; mapped on first use.
     * Null when it cannot be mapped (then reads copy, as before) or the layer is closed.
     */
    @Override
    public ReadVector.Below inPlace() {
        if (writable) {
            return null; // its bytes change: never hand them out as stable runs
        }
        ImageMapping m = mapping;
        if (m != null) {
            return m;
        }
        synchronized (this) {
            if (mapping == null && !mappingFailed && !closed) {
                try {
                    mapping = ImageMapping.map(channel(), sectorCount << sectorShift);
                    if (inMemory(path)) {
                        mapping.prefaultInBackground(path.getFileName().toString());
                    }
                } catch (IOException | RuntimeException e) {
                    mappingFailed = true;
                    log.warn("image {} cannot be mapped ({}); its reads are copied", path, e.toString());
                }
            }
            return mapping;
        }
    }

    /** True for an image on tmpfs (or ramfs), whose pages cost no I/O to map. */
    private static boolean inMemory(Path path) {
        try {
            String type = Files.getFileStore(path).type();
            return type.equals("tmpfs") || type.equals("ramfs");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Closes the image (and unmaps it: the disk's RAM layer, closed first, has no reader left). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (mapping != null) {
            mapping.unmap();
            mapping = null;
        }
        holes.close();
        try {
            channel.close();
        } catch (IOException e) {
            // Read-only: nothing can be lost. Write-through: every write was acknowledged by a pwrite.
            log.debug("closing image {}: {}", path, e.toString());
        }
    }
}

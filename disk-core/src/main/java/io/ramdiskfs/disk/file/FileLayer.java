package io.ramdiskfs.disk.file;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.SectorRange;
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
 * A read-only raw image file as a layer: every sector is present. A read is one positional read
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
    private volatile FileChannel channel;
    private volatile boolean closed;
    /** Mapped on the first read in place; null before, or when the mapping failed. */
    private volatile ImageMapping mapping;
    private boolean mappingFailed;

    private FileLayer(Path path, int sectorSize, long size, FileChannel channel) {
        this.path = path;
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
        if (!SectorRange.isValidSectorSize(sectorSize)) {
            throw new IllegalArgumentException("sector size " + sectorSize + " is not a power of two in [512, "
                    + SectorRange.MAX_SECTOR_SIZE + "]");
        }
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("image " + path + " does not exist");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("image " + path + " is not a regular file");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
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
            return new FileLayer(path, sectorSize, size, ch);
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
        return true;
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
            if (closed) {
                throw new ClosedChannelException();
            }
            if (!channel.isOpen()) {
                channel = FileChannel.open(path, StandardOpenOption.READ);
            }
            return channel;
        }
    }

    @Override
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        throw new DiskException(DiskError.READ_ONLY, "image " + path + " is read-only");
    }

    @Override
    public void unmap(long sector, long count, long zeroBelowFrom) throws DiskException {
        throw new DiskException(DiskError.READ_ONLY, "image " + path + " is read-only");
    }

    @Override
    public void flush() {
        // Read-only: there is nothing to make durable.
    }

    /**
     * The image mapped, for a RAM layer above to read through in place; mapped on first use.
     * Null when it cannot be mapped (then reads copy, as before) or the layer is closed.
     */
    @Override
    public ReadVector.Below inPlace() {
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
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only: nothing can be lost by a failed close.
        }
    }
}

package io.ramdiskfs.disk.file;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.SectorRange;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only raw image file as a layer: every sector is present. The file is mapped read-only
 * in segments, so a read is one copy from the page cache into the caller's memory with no system
 * call and no allocation. The image must not be changed while mapped (a truncated image makes
 * reads fail).
 */
public final class FileLayer implements LayerIo {
    /** Bytes per mapped segment; a multiple of every valid sector size. */
    private static final long SEGMENT = 1L << 30;

    private final Path path;
    private final int sectorSize;
    private final int sectorShift;
    private final long sectorCount;
    private final MappedByteBuffer[] segments;
    private final long[] addresses;
    private volatile boolean closed;

    private FileLayer(Path path, int sectorSize, long size, MappedByteBuffer[] segments) {
        this.path = path;
        this.sectorSize = sectorSize;
        this.sectorShift = Integer.numberOfTrailingZeros(sectorSize);
        this.sectorCount = size / sectorSize;
        this.segments = segments;
        this.addresses = new long[segments.length];
        for (int i = 0; i < segments.length; i++) {
            addresses[i] = NativeMemory.offsetOf(segments[i]);
        }
    }

    /**
     * Opens and maps an image.
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
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
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
            int n = (int) ((size + SEGMENT - 1) / SEGMENT);
            MappedByteBuffer[] segments = new MappedByteBuffer[n];
            for (int i = 0; i < n; i++) {
                long start = i * SEGMENT;
                segments[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(SEGMENT, size - start));
            }
            return new FileLayer(path, sectorSize, size, segments);
        } catch (IOException e) {
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
        if (closed) {
            throw new DiskException(DiskError.IO, "image " + path + " is closed");
        }
        long pos = sector << sectorShift;
        long left = (long) count << sectorShift;
        try {
            while (left > 0) {
                int seg = (int) (pos / SEGMENT);
                long within = pos % SEGMENT;
                long n = Math.min(left, SEGMENT - within);
                NativeMemory.copy(null, addresses[seg] + within, base, offset, n);
                pos += n;
                offset += n;
                left -= n;
            }
        } catch (InternalError e) {
            // The JVM reports a fault in a mapped file (SIGBUS: the image shrank) this way.
            throw new DiskException(DiskError.IO, "image " + path + " could not be read at byte " + pos, e);
        }
        if (marker != null) {
            marker.setRange(sector, sector + count);
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
     * Drops the mappings. Only call once no read can be running; the owner of the disk
     * guarantees that (unmount, last handle closed).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (MappedByteBuffer b : segments) {
            NativeMemory.release(b);
        }
    }
}

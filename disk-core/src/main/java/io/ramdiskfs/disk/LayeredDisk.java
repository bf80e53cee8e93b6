package io.ramdiskfs.disk;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A disk made of an immutable, validated stack of layers, top first.
 *
 * <ul>
 *   <li><b>Read:</b> each layer, from the top, fills the sectors it holds; unfilled sectors fall
 *       through to the next layer; whatever no layer fills reads as zeros. A layer below the top
 *       is never asked for sectors at or past its visible count (the smallest sector count of it
 *       and every layer above, taken at construction), so a regrown top reads zeros there.
 *   <li><b>Write:</b> to the top layer, and on down while a layer is write-through.
 *   <li><b>Read cache:</b> sectors that a {@code readCache} layer missed are written into it after
 *       the read, without overwriting anything it has meanwhile received.
 *   <li><b>Unmap:</b> afterwards the range reads as zeros; memory is released where it can be.
 *   <li><b>Size:</b> the top layer's sector count, live.
 * </ul>
 *
 * <p>Read-only is enforced here (upstream leaves it to the front end). Threads: every method may
 * be called concurrently; this class holds no mutable state of its own beyond per-thread scratch.
 * For byte-granular access use {@link #bytes()}.
 */
public final class LayeredDisk implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LayeredDisk.class);
    private static final ThreadLocal<SectorMarker> MARKER = ThreadLocal.withInitial(SectorMarker::new);
    private static final ThreadLocal<SectorMarker> CACHE_MISSES = ThreadLocal.withInitial(SectorMarker::new);

    private final LayerIo[] layers;
    private final boolean[] writeThrough;
    /** Index of the read-cache layer, or -1. */
    private final int readCacheIndex;
    /** Sectors of layer i at or past visible[i] are logically zero; visible[0] is unused. */
    private final long[] visible;
    private final int writePathLength;
    private final boolean readOnly;
    private final int sectorSize;
    private final DiskBytes bytes;
    /** Where a read in place finds what the top layer does not hold; null when it cannot. */
    private final ReadVector.Below bottomRuns;

    private LayeredDisk(boolean readOnly, LayerIo[] layers, boolean[] writeThrough, int readCacheIndex) {
        this.readOnly = readOnly;
        this.layers = layers;
        this.writeThrough = writeThrough;
        this.readCacheIndex = readCacheIndex;
        this.sectorSize = layers[0].sectorSize();
        this.visible = new long[layers.length];
        long min = Long.MAX_VALUE;
        for (int i = 0; i < layers.length; i++) {
            min = Math.min(min, layers[i].sectorCount());
            visible[i] = min;
        }
        int w = 1;
        while (w < layers.length && writeThrough[w - 1]) {
            w++;
        }
        this.writePathLength = w;
        this.bytes = new DiskBytes(this);
        // Map a bottom image now rather than on the first read, so that its pages are faulted in
        // (in the background, where that costs no I/O) before the reads come.
        this.bottomRuns = bottomRuns();
    }

    /**
     * Attaches the layers bottom-up and validates the stack.
     *
     * @throws InvalidLayeredDiskException naming the layer and the reason when the stack is invalid
     */
    public static LayeredDisk create(boolean readOnly, List<LayerConfiguration> configuration) {
        int n = configuration.size();
        if (n == 0) {
            throw new InvalidLayeredDiskException(0, InvalidLayeredDiskException.Reason.NO_LAYERS, "a disk needs at least one layer");
        }
        LayerIo[] layers = new LayerIo[n];
        boolean[] writeThrough = new boolean[n];
        int readCache = -1;
        List<LayerIo> attached = new ArrayList<>();
        try {
            LayerIo below = null;
            for (int i = n - 1; i >= 0; i--) {
                LayerConfiguration c = configuration.get(i);
                LayerIo layer;
                try {
                    layer = c.layer().attach(below);
                } catch (IllegalArgumentException e) {
                    throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.ATTACH_FAILED, e.getMessage(), e);
                }
                attached.add(layer);
                if (!SectorRange.isValidSectorSize(layer.sectorSize())) {
                    throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.INVALID_SECTOR_SIZE,
                            "sector size " + layer.sectorSize() + " is not a power of two of at least 512");
                }
                if (below != null && below.sectorSize() != layer.sectorSize()) {
                    throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.MISMATCHED_SECTOR_SIZE,
                            "sector size " + layer.sectorSize() + " differs from " + below.sectorSize() + " of the layer below");
                }
                if (c.readCache()) {
                    if (!layer.supportsWriteNoOverwrite()) {
                        throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.READ_CACHE_NOT_SUPPORTED,
                                layer.kind() + " layer cannot write without overwriting");
                    }
                    if (readCache >= 0) {
                        throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.MULTIPLE_READ_CACHES,
                                "layer " + readCache + " is a read cache already");
                    }
                    readCache = i;
                }
                layers[i] = layer;
                writeThrough[i] = c.writeThrough();
                below = layer;
            }
            if (writeThrough[n - 1]) {
                throw new InvalidLayeredDiskException(n - 1, InvalidLayeredDiskException.Reason.USELESS_WRITE_THROUGH,
                        "the bottom layer has nothing to write through to");
            }
            for (int i = 1; i < n; i++) {
                if (writeThrough[i] && !writeThrough[i - 1]) {
                    throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.USELESS_WRITE_THROUGH,
                            "write-through layers must be contiguous from the top, but layer " + (i - 1) + " is not write-through");
                }
            }
            if (!readOnly) {
                for (int i = 0; i < n; i++) {
                    if (layers[i].isReadOnly()) {
                        throw new InvalidLayeredDiskException(i, InvalidLayeredDiskException.Reason.READ_ONLY_LAYER_IN_WRITE_PATH,
                                layers[i].kind() + " layer " + layers[i].description() + " is read-only but the disk is writable");
                    }
                    if (!writeThrough[i]) {
                        break;
                    }
                }
            }
            return new LayeredDisk(readOnly, layers, writeThrough, readCache);
        } catch (RuntimeException e) {
            for (LayerIo l : attached) {
                l.close();
            }
            throw e;
        }
    }

    /** A single-layer disk. */
    public static LayeredDisk of(LayerIo layer, boolean readOnly) {
        return create(readOnly, List.of(LayerConfiguration.of(layer)));
    }

    public int sectorSize() {
        return sectorSize;
    }

    /** The current sector count: the top layer's. */
    public long sectorCount() {
        return layers[0].sectorCount();
    }

    public long sizeBytes() {
        return layers[0].sectorCount() * sectorSize;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    /** The layers, top first. */
    public List<LayerIo> layers() {
        return List.of(layers);
    }

    /** Data memory held by all layers. */
    public long committedBytes() {
        long sum = 0;
        for (LayerIo l : layers) {
            sum += l.committedBytes();
        }
        return sum;
    }

    /** The byte-granular view of this disk. */
    public DiskBytes bytes() {
        return bytes;
    }

    /** Reads {@code count} sectors into {@code (base, offset)}; see {@link NativeMemory}. */
    public void read(Object base, long offset, long sector, int count) throws DiskException {
        if (count < 0) {
            throw DiskException.illegalBlock(sector, count, sectorCount());
        }
        if (layers.length == 1) {
            layers[0].read(base, offset, sector, count, null);
            return;
        }
        SectorRange.check(sector, count, sectorCount());
        SectorMarker marker = MARKER.get();
        marker.reset(sector, count);
        long end = sector + count;
        SectorMarker misses = null;
        for (int i = 0; i < layers.length; i++) {
            long limit = i == 0 ? end : Math.min(end, visible[i]);
            long run = marker.nextUnset(sector);
            if (run >= end) {
                break;
            }
            if (run >= limit) {
                break;
            }
            while (run < limit) {
                long runEnd = Math.min(marker.nextSet(run), limit);
                layers[i].read(base, offset + (run - sector) * sectorSize, run, (int) (runEnd - run), marker);
                run = marker.nextUnset(runEnd);
            }
            if (i == readCacheIndex) {
                misses = CACHE_MISSES.get();
                misses.copyFrom(marker);
            }
        }
        for (long run = marker.nextUnset(sector); run < end; ) {
            long runEnd = marker.nextSet(run);
            NativeMemory.zero(base, offset + (run - sector) * sectorSize, (runEnd - run) * sectorSize);
            run = marker.nextUnset(runEnd);
        }
        if (misses != null) {
            fillReadCache(misses, base, offset, sector, end);
        }
    }

    private void fillReadCache(SectorMarker misses, Object base, long offset, long sector, long end) {
        LayerIo cache = layers[readCacheIndex];
        for (long run = misses.nextUnset(sector); run < end; ) {
            long runEnd = misses.nextSet(run);
            try {
                cache.writeNoOverwrite(base, offset + (run - sector) * sectorSize, run, (int) (runEnd - run));
            } catch (DiskException e) {
                // A cache that cannot take the data costs speed, not correctness.
                log.debug("read cache fill of sectors [{}, {}) failed: {}", run, runEnd, e.getMessage());
            }
            run = misses.nextUnset(runEnd);
        }
    }

    /** Writes {@code count} sectors from {@code (base, offset)}; see {@link NativeMemory}. */
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        checkWritable();
        checkWritePath(sector, count);
        for (int i = 0; i < writePathLength; i++) {
            layers[i].write(base, offset, sector, count, fua);
        }
    }

    /**
     * Reads bytes {@code [position, position + length)} (inside the disk) as runs of memory
     * ({@link LayerIo#readInPlace}) when the disk is a single layer that can, or a layer that can
     * over a bottom layer that maps ({@link LayerIo#inPlace}: a memdiff disk's image) with no read
     * cache; false otherwise.
     */
    boolean readInPlace(long position, int length, ReadVector vector) throws DiskException {
        if (layers.length == 1) {
            return layers[0].readInPlace(position, length, vector, null);
        }
        return bottomRuns != null && layers[0].readInPlace(position, length, vector, bottomRuns);
    }

    /**
     * The bottom layer's runs, clipped to the sectors it shows through the layer above
     * ({@link #visible}), past which the disk reads zeros; null unless the disk is a layer over a
     * bottom layer that maps ({@link LayerIo#inPlace}) with no read cache.
     */
    private ReadVector.Below bottomRuns() {
        ReadVector.Below mapped = layers.length == 2 && readCacheIndex < 0 ? layers[1].inPlace() : null;
        if (mapped == null) {
            return null;
        }
        long limit = visible[1] * sectorSize;
        return (position, length, vector) -> {
            long shown = Math.max(0, Math.min(length, limit - position));
            if (shown > 0) {
                mapped.runs(position, shown, vector);
            }
            if (shown < length) {
                vector.zeros(length - shown);
            }
        };
    }

    /**
     * The bottom layer, when a read of {@code [sector, sector + count)} would come from it alone:
     * every layer above holds none of the range, the range lies within the sectors the bottom
     * layer shows, and no read cache waits to be filled. Null otherwise, and always for a
     * one-layer disk. The front end uses it to hand such a read to the image file directly
     * (splice). The answer is a snapshot: a write that lands meanwhile races with the read as
     * any overlapping write does.
     */
    public LayerIo fallsThroughTo(long sector, long count) {
        int bottom = layers.length - 1;
        if (bottom == 0 || readCacheIndex >= 0 || count <= 0 || sector < 0 || sector > visible[bottom] - count) {
            return null;
        }
        for (int i = 0; i < bottom; i++) {
            if (layers[i].holdsAny(sector, count)) {
                return null;
            }
        }
        return layers[bottom];
    }

    /** Afterwards {@code [sector, sector + count)} reads as zeros. */
    public void unmap(long sector, long count) throws DiskException {
        checkWritable();
        SectorRange.check(sector, count, sectorCount());
        checkWritePath(sector, count);
        for (int i = 0; i < writePathLength; i++) {
            long zeroBelowFrom = i + 1 < layers.length ? visible[i + 1] : 0;
            layers[i].unmap(sector, count, zeroBelowFrom);
        }
    }

    /**
     * With write-through layers, checks the range against every layer of the write path before
     * any is changed: a lower one may be smaller than the top (only the top resizes), and a
     * request it refuses must land in none.
     */
    private void checkWritePath(long sector, long count) throws DiskException {
        for (int i = 1; i < writePathLength; i++) {
            SectorRange.check(sector, count, layers[i].sectorCount());
        }
    }

    public void flush() throws DiskException {
        for (int i = 0; i < writePathLength; i++) {
            layers[i].flush();
        }
    }

    /** Sets the sector count of the top layer; a later grow reads zeros past a shrink. */
    public void resize(long newSectorCount) throws DiskException {
        checkWritable();
        if (newSectorCount < 0) {
            throw new DiskException(DiskError.INVALID_INPUT, "sector count " + newSectorCount + " is negative");
        }
        if (newSectorCount > SectorRange.maxSectorCount(sectorSize)) {
            throw new DiskException(DiskError.TOO_LARGE, "sector count " + newSectorCount + " exceeds the largest disk of "
                    + SectorRange.MAX_DISK_BYTES + " bytes");
        }
        layers[0].resize(newSectorCount);
    }

    /** Reads whole sectors into the buffer's remaining bytes; the position is not moved. */
    public void read(ByteBuffer dst, long sector) throws DiskException {
        read(NativeMemory.baseOf(dst), NativeMemory.offsetOf(dst), sector, sectorsIn(dst));
    }

    /** Writes the buffer's remaining bytes as whole sectors; the position is not moved. */
    public void write(ByteBuffer src, long sector, boolean fua) throws DiskException {
        write(NativeMemory.baseOf(src), NativeMemory.offsetOf(src), sector, sectorsIn(src), fua);
    }

    private int sectorsIn(ByteBuffer b) throws DiskException {
        if (b.remaining() % sectorSize != 0) {
            throw new DiskException(DiskError.INVALID_INPUT, "buffer of " + b.remaining()
                    + " bytes is not a multiple of the sector size " + sectorSize);
        }
        return b.remaining() / sectorSize;
    }

    private void checkWritable() throws DiskException {
        if (readOnly) {
            throw new DiskException(DiskError.READ_ONLY, "the disk is read-only");
        }
    }

    /** Closes every layer, returning their memory. */
    @Override
    public void close() {
        for (LayerIo l : layers) {
            l.close();
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LayeredDisk(");
        for (int i = 0; i < layers.length; i++) {
            sb.append(i == 0 ? "" : " over ").append(layers[i].kind()).append(':').append(layers[i].description());
        }
        return sb.append(readOnly ? ", ro)" : ")").toString();
    }
}

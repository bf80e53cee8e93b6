package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A disk's chain of layers at one moment, top first: the live layer, the frozen layers under it
 * (immutable, shared by reference with snapshots and clones), and the base at the bottom. A chain
 * never changes; a {@link LayeredDisk} swaps one chain for another at a request boundary.
 *
 * <ul>
 *   <li><b>Read:</b> each layer, from the top, fills the sectors it holds; unfilled sectors fall
 *       through to the next layer; whatever no layer fills reads as zeros. A layer below the top
 *       is never asked for sectors at or past its visible count (the smallest sector count of it
 *       and every layer above, taken when the chain is built), so a regrown top reads zeros there.
 *   <li><b>Write:</b> to the top layer, and on down while a layer is write-through.
 *   <li><b>Read cache:</b> sectors that a {@code readCache} layer missed are written into it after
 *       the read, without overwriting anything it has meanwhile received.
 *   <li><b>Unmap:</b> afterwards the range reads as zeros; memory is released where it can be.
 *   <li><b>Size:</b> the top layer's sector count, live.
 * </ul>
 *
 * <p>Threads: every method may be called concurrently; the chain holds no mutable state of its own
 * beyond per-thread scratch.
 */
final class DiskChain {
    private static final Logger log = LoggerFactory.getLogger(DiskChain.class);
    private static final ThreadLocal<SectorMarker> MARKER = ThreadLocal.withInitial(SectorMarker::new);
    private static final ThreadLocal<SectorMarker> CACHE_MISSES = ThreadLocal.withInitial(SectorMarker::new);

    final SharedLayer[] links;
    final LayerIo[] layers;
    final boolean[] writeThrough;
    /** Index of the read-cache layer, or -1. */
    final int readCacheIndex;
    /** Sectors of layer i at or past visible[i] are logically zero; visible[0] is unused. */
    final long[] visible;
    private final int writePathLength;
    final boolean readOnly;
    final int sectorSize;
    /**
     * Where a read in place finds what the top layer does not hold ({@link #NOT_IN_PLACE} when it
     * cannot); null until the first read in place composes it. Lazy because the composition holds
     * a link per layer below, and a disk with N snapshots keeps N chains of up to N layers that
     * mostly nobody reads: composed eagerly, that was heap growing as N squared. Racy but
     * idempotent: two readers may both compose it, and the lambdas publish safely (final fields).
     */
    private ReadVector.Below belowTop;
    private static final ReadVector.Below NOT_IN_PLACE = (position, length, vector) -> {
        throw new IllegalStateException("this chain cannot be read in place");
    };

    DiskChain(boolean readOnly, SharedLayer[] links, boolean[] writeThrough, int readCacheIndex) {
        this.readOnly = readOnly;
        this.links = links;
        this.layers = new LayerIo[links.length];
        for (int i = 0; i < links.length; i++) {
            layers[i] = links[i].layer;
        }
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
        // Map a bottom image now rather than on the first read, so that its pages are faulted in
        // (in the background, where that costs no I/O) before the reads come.
        if (layers.length > 1 && readCacheIndex < 0) {
            layers[layers.length - 1].inPlace();
        }
    }

    /** A chain of plain layers (no write-through, no read cache). */
    static DiskChain plain(boolean readOnly, SharedLayer[] links) {
        return new DiskChain(readOnly, links, new boolean[links.length], -1);
    }

    int depth() {
        return layers.length;
    }

    long sectorCount() {
        return layers[0].sectorCount();
    }

    /** True when the chain is a RAM layer over plain layers: what snapshots, rollbacks and clones need. */
    boolean isSnapshottable() {
        if (!(layers[0] instanceof RamLayer) || readCacheIndex >= 0) {
            return false;
        }
        for (boolean w : writeThrough) {
            if (w) {
                return false;
            }
        }
        return true;
    }

    /** Every link retained once more, for a second chain that shares them. */
    SharedLayer[] retainAll() {
        SharedLayer[] copy = links.clone();
        for (SharedLayer l : copy) {
            l.retain();
        }
        return copy;
    }

    void releaseAll() {
        for (SharedLayer l : links) {
            l.release();
        }
    }

    /** This chain's links with {@code top} pushed on top (taking over the references of this chain). */
    SharedLayer[] under(SharedLayer top) {
        return onTop(top, links);
    }

    static SharedLayer[] onTop(SharedLayer top, SharedLayer[] rest) {
        SharedLayer[] next = new SharedLayer[rest.length + 1];
        next[0] = top;
        System.arraycopy(rest, 0, next, 1, rest.length);
        return next;
    }

    /** The links without layer {@code i}. */
    SharedLayer[] without(int i) {
        SharedLayer[] next = new SharedLayer[links.length - 1];
        System.arraycopy(links, 0, next, 0, i);
        System.arraycopy(links, i + 1, next, i, links.length - i - 1);
        return next;
    }

    long committedBytes() {
        long sum = 0;
        for (LayerIo l : layers) {
            sum += l.committedBytes();
        }
        return sum;
    }

    long zeroBytesWritten() {
        long sum = 0;
        for (LayerIo l : layers) {
            sum += l.zeroBytesWritten();
        }
        return sum;
    }

    // ------------------------------------------------------------------ I/O

    void read(Object base, long offset, long sector, int count) throws DiskException {
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
            if (run >= end || run >= limit) {
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

    void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        checkWritable();
        checkWritePath(sector, count);
        for (int i = 0; i < writePathLength; i++) {
            layers[i].write(base, offset, sector, count, fua);
        }
    }

    /**
     * Reads bytes {@code [position, position + length)} (inside the disk) as runs of memory
     * ({@link LayerIo#readInPlace}) when the top layer can and everything below it can be read
     * in place too (frozen RAM layers, a mapped image); false otherwise.
     */
    boolean readInPlace(long position, int length, ReadVector vector) throws DiskException {
        if (layers.length == 1) {
            return layers[0].readInPlace(position, length, vector, null);
        }
        ReadVector.Below below = belowTop;
        if (below == null) {
            below = belowTop();
            belowTop = below = below == null ? NOT_IN_PLACE : below;
        }
        return below != NOT_IN_PLACE && layers[0].readInPlace(position, length, vector, below);
    }

    /**
     * The runs of everything under the top layer, each layer clipped to the sectors it shows
     * ({@link #visible}), past which the disk reads zeros; null unless every layer below the top
     * can be read in place without locks: frozen RAM layers (immutable while the chain is in use)
     * and, at the bottom, a layer that maps ({@link LayerIo#inPlace}: a memdiff disk's image).
     */
    private ReadVector.Below belowTop() {
        if (readCacheIndex >= 0 || layers.length < 2) {
            return null;
        }
        ReadVector.Below below = null;
        for (int i = layers.length - 1; i >= 1; i--) {
            ReadVector.Below runs;
            if (i == layers.length - 1 && layers[i].inPlace() != null) {
                runs = layers[i].inPlace();
            } else if (layers[i] instanceof RamLayer r && r.isFrozen()) {
                runs = r.frozenRuns(below);
            } else {
                return null;
            }
            below = clipped(runs, visible[i] * sectorSize);
        }
        return below;
    }

    private static ReadVector.Below clipped(ReadVector.Below runs, long limit) {
        return (position, length, vector) -> {
            long shown = Math.max(0, Math.min(length, limit - position));
            if (shown > 0) {
                runs.runs(position, shown, vector);
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
     * one-layer chain.
     */
    LayerIo fallsThroughTo(long sector, long count) {
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

    void unmap(long sector, long count) throws DiskException {
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

    void flush() throws DiskException {
        for (int i = 0; i < writePathLength; i++) {
            layers[i].flush();
        }
    }

    void resize(long newSectorCount) throws DiskException {
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

    private void checkWritable() throws DiskException {
        if (readOnly) {
            throw new DiskException(DiskError.READ_ONLY, "the disk is read-only");
        }
    }

    /**
     * What the chain shows at {@code sector}: data, or zeros (a hole), and up to where, at most
     * {@code limit}. Each layer answers for its own sectors; absent ones ask the layer below, and
     * what no layer holds is a hole.
     */
    SectorRun run(long sector, long limit, SectorRun out) {
        long end = limit;
        for (int i = 0; i < layers.length; i++) {
            if (i > 0 && sector >= visible[i]) {
                break;
            }
            if (i > 0) {
                end = Math.min(end, visible[i]);
            }
            layers[i].run(sector, end, out);
            end = Math.min(end, out.end);
            if (out.state != SectorRun.ABSENT) {
                return out.set(out.state, end);
            }
        }
        return out.set(SectorRun.ZERO, end);
    }

    /**
     * The first pair, from the top, of a frozen RAM layer under a RAM layer that exactly the same
     * chains use (every chain that holds the upper one holds the lower one right under it, so
     * equal counts mean equal sets): no snapshot and no disk reads the lower one on its own, so it
     * can be merged into the upper one. Returns the index of the lower one, or -1.
     */
    int mergeable() {
        for (int i = 1; i < layers.length; i++) {
            if (layers[i] instanceof RamLayer lower && lower.isFrozen() && layers[i - 1] instanceof RamLayer
                    && links[i].users() == links[i - 1].users()) {
                return i;
            }
        }
        return -1;
    }

    /** The index of {@code link} in this chain, or -1. */
    int indexOf(SharedLayer link) {
        for (int i = 0; i < links.length; i++) {
            if (links[i] == link) {
                return i;
            }
        }
        return -1;
    }

    /** This chain without layer {@code i}, which has been merged into the one above. */
    DiskChain withoutLayer(int i) {
        boolean[] w = new boolean[writeThrough.length - 1];
        System.arraycopy(writeThrough, 0, w, 0, i);
        System.arraycopy(writeThrough, i + 1, w, i, writeThrough.length - i - 1);
        int cache = readCacheIndex < 0 ? -1 : readCacheIndex - (readCacheIndex > i ? 1 : 0);
        return new DiskChain(readOnly, without(i), w, cache);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layers.length; i++) {
            sb.append(i == 0 ? "" : " over ").append(layers[i].kind()).append(':').append(layers[i].description());
        }
        return sb.append(readOnly ? ", ro" : "").toString();
    }
}

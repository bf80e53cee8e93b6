package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk: its current {@link DiskChain} of layers, and the {@link RequestGate} at which the chain
 * is swapped. Reads, writes, unmaps and resizes go to the chain current when the request enters;
 * snapshots, rollbacks, clones and merges build a new chain and swap it in while no request is
 * inside, so every request is wholly before or wholly after them.
 *
 * <ul>
 *   <li>{@link #snapshot}: the live RAM layer becomes frozen (immutable, shared by reference), an
 *       empty one goes on top; the snapshot is a read-only disk over the frozen chain. Constant
 *       time, no data memory. {@link #snapshotAll} does it for several disks at one instant.
 *   <li>{@link #rollback}: the disk reads exactly as a snapshot (size included); what was
 *       written since is dropped.
 *   <li>{@link #cloneDisk}: a new writable disk with this one's content, sharing its layers.
 *   <li>Merging: a frozen layer that no snapshot and no other disk uses any more is merged into
 *       the layer above it (its chunks move, nothing is copied but partial chunks), so reads never
 *       fall through more layers than there are snapshots.
 * </ul>
 *
 * <p>Read-only is enforced here (upstream leaves it to the front end). Threads: I/O methods may be
 * called concurrently from any thread; chain changes of all disks are serialized on one lock and
 * must not be made from inside a request. For byte-granular access use {@link #bytes()}.
 */
public final class LayeredDisk implements AutoCloseable {
    private static final AtomicLong IDS = new AtomicLong();
    /** Serializes every change of any disk's chain: they are rare, and may span several disks. */
    static final Object CHANGES = new Object();
    /** Open disks with more than one layer: where a merge may become possible after a release. */
    static final Set<LayeredDisk> CHAINED = ConcurrentHashMap.newKeySet();

    private final long id = IDS.incrementAndGet();
    final RequestGate gate = new RequestGate();
    final int sectorSize;
    final boolean readOnly;
    private final DiskBytes bytes;
    volatile DiskChain chain;
    /** Guarded by {@link #CHANGES}. */
    boolean closed;

    private LayeredDisk(DiskChain chain) {
        this.chain = chain;
        this.sectorSize = chain.sectorSize;
        this.readOnly = chain.readOnly;
        this.bytes = new DiskBytes(this);
        if (chain.depth() > 1) {
            CHAINED.add(this);
        }
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
            SharedLayer[] links = new SharedLayer[n];
            for (int i = 0; i < n; i++) {
                links[i] = new SharedLayer(layers[i]);
            }
            return new LayeredDisk(new DiskChain(readOnly, links, writeThrough, readCache));
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

    /** A number unique to this disk in the process; gates of several disks are entered in this order. */
    public long id() {
        return id;
    }

    public int sectorSize() {
        return sectorSize;
    }

    /** The current sector count: the top layer's. */
    public long sectorCount() {
        return chain.sectorCount();
    }

    public long sizeBytes() {
        return chain.sectorCount() * sectorSize;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    /** The layers of the current chain, top first. */
    public List<LayerIo> layers() {
        return List.of(chain.layers);
    }

    /**
     * The role of layer {@code index} of the current chain as {@code user.ramdiskfs.layers} shows
     * it: {@code "(read-cache,write-through)"}, {@code "(read-cache)"} or {@code ""}.
     */
    public String roleOf(int index) {
        DiskChain c = chain;
        if (index < 0 || index >= c.depth()) {
            return "";
        }
        boolean cache = c.readCacheIndex == index;
        boolean through = c.writeThrough[index];
        return cache && through ? "(read-cache,write-through)" : cache ? "(read-cache)" : through ? "(write-through)" : "";
    }

    /** Data memory held by every layer of the chain (a shared layer counts in each disk that uses it). */
    public long committedBytes() {
        return chain.committedBytes();
    }

    /**
     * Bytes of zeros written to the chain's layers that cost no memory ({@link LayerIo#zeroBytesWritten});
     * it drops when a rollback discards the layer that counted them.
     */
    public long zeroBytesWritten() {
        return chain.zeroBytesWritten();
    }

    /** The byte-granular view of this disk. */
    public DiskBytes bytes() {
        return bytes;
    }

    // ------------------------------------------------------------------ requests

    /** Enters the request gate; the chain {@link #current()} returns is fixed until {@link #exit}. */
    int enter() {
        return gate.enter();
    }

    void exit(int token) {
        gate.exit(token);
    }

    /** The chain; stable between {@link #enter} and {@link #exit}. */
    DiskChain current() {
        return chain;
    }

    /** Reads {@code count} sectors into {@code (base, offset)}; see {@link NativeMemory}. */
    public void read(Object base, long offset, long sector, int count) throws DiskException {
        int t = gate.enter();
        try {
            chain.read(base, offset, sector, count);
        } finally {
            gate.exit(t);
        }
    }

    /** Writes {@code count} sectors from {@code (base, offset)}; see {@link NativeMemory}. */
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        int t = gate.enter();
        try {
            chain.write(base, offset, sector, count, fua);
        } finally {
            gate.exit(t);
        }
    }

    /** Afterwards {@code [sector, sector + count)} reads as zeros. */
    public void unmap(long sector, long count) throws DiskException {
        int t = gate.enter();
        try {
            chain.unmap(sector, count);
        } finally {
            gate.exit(t);
        }
    }

    public void flush() throws DiskException {
        int t = gate.enter();
        try {
            chain.flush();
        } finally {
            gate.exit(t);
        }
    }

    /** Sets the sector count of the top layer; a later grow reads zeros past a shrink. */
    public void resize(long newSectorCount) throws DiskException {
        int t = gate.enter();
        try {
            chain.resize(newSectorCount);
        } finally {
            gate.exit(t);
        }
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

    /**
     * The bottom layer, when a read of {@code [sector, sector + count)} would come from it alone
     * (see {@link DiskChain#fallsThroughTo}). The front end uses it to hand such a read to the
     * image file directly (splice). Decided inside the gate, as a read is: a merge moving chunks
     * up runs with the gate closed, so the layers are not looked at half before and half after
     * it. The answer is a snapshot: a write that lands meanwhile races with the read as any
     * overlapping write does.
     */
    public LayerIo fallsThroughTo(long sector, long count) {
        int t = gate.enter();
        try {
            return chain.fallsThroughTo(sector, count);
        } finally {
            gate.exit(t);
        }
    }

    /**
     * SEEK_DATA: the first byte at or after {@code position} that lies in data (sector
     * granularity, so a position inside a data sector is its own answer), or -1 when there is
     * none before the end (ENXIO).
     */
    public long seekData(long position) {
        return seek(position, true);
    }

    /**
     * SEEK_HOLE: the first byte at or after {@code position} that lies in a hole (the end of the
     * disk counts as one), or -1 when {@code position} is at or past the end (ENXIO).
     */
    public long seekHole(long position) {
        return seek(position, false);
    }

    private long seek(long position, boolean data) {
        int t = gate.enter();
        try {
            DiskChain c = chain;
            long count = c.sectorCount();
            long size = count * sectorSize;
            if (position < 0 || position >= size) {
                return -1;
            }
            SectorRun run = new SectorRun();
            for (long s = position / sectorSize; s < count; s = run.end) {
                c.run(s, count, run);
                if ((run.state == SectorRun.DATA) == data) {
                    return Math.max(position, s * sectorSize);
                }
                if (run.end <= s) {
                    throw new IllegalStateException("no progress at sector " + s + " of " + c);
                }
            }
            return data ? -1 : size;
        } finally {
            gate.exit(t);
        }
    }

    // ------------------------------------------------------------------ snapshots, rollback, clones

    /**
     * Freezes this disk's content at this instant and returns it as a read-only disk that shares
     * the frozen layers. The disk goes on with an empty RAM layer on top.
     *
     * @throws DiskException {@link DiskError#UNSUPPORTED} when the disk's top is not a plain RAM
     *     layer (write-through or read-cache stacks), {@link DiskError#IO} when it is closed
     */
    public LayeredDisk snapshot() throws DiskException {
        return snapshotAll(List.of(this)).get(0);
    }

    /**
     * Snapshots every disk at one instant: all gates are closed (in {@link #id} order) before any
     * chain changes, so no write lands in one disk's snapshot and not in another's. All or none.
     */
    public static List<LayeredDisk> snapshotAll(List<LayeredDisk> disks) throws DiskException {
        HeapGuard.checkRoomFor("a snapshot of " + disks.size() + (disks.size() == 1 ? " disk" : " disks"));
        synchronized (CHANGES) {
            for (LayeredDisk d : disks) {
                d.checkSnapshottable();
            }
            List<LayeredDisk> order = new ArrayList<>(disks);
            order.sort(Comparator.comparingLong(LayeredDisk::id));
            List<DiskChain> frozen = new ArrayList<>(disks.size());
            for (LayeredDisk d : order) {
                d.gate.close();
            }
            try {
                for (LayeredDisk d : disks) {
                    frozen.add(d.freezeTop());
                }
            } finally {
                for (LayeredDisk d : order) {
                    d.gate.open();
                }
            }
            List<LayeredDisk> snapshots = new ArrayList<>(frozen.size());
            for (DiskChain c : frozen) {
                snapshots.add(new LayeredDisk(c));
            }
            return snapshots;
        }
    }

    private void checkSnapshottable() throws DiskException {
        if (closed) {
            throw new DiskException(DiskError.IO, "the disk is closed");
        }
        if (!readOnly && !chain.isSnapshottable()) {
            throw new DiskException(DiskError.UNSUPPORTED, "snapshots need a RAM layer on top of plain layers, not "
                    + chain);
        }
    }

    /**
     * With the gate closed: the chain a snapshot reads. A writable disk's top RAM layer is frozen
     * and an empty one pushed on top; a read-only disk never changes, so its chain is shared as it is.
     */
    DiskChain freezeTop() {
        DiskChain old = chain;
        if (readOnly) {
            return DiskChain.plain(true, old.retainAll());
        }
        RamLayer top = (RamLayer) old.layers[0];
        top.freeze();
        SharedLayer[] frozen = old.retainAll();
        chain = DiskChain.plain(false, old.under(new SharedLayer(top.emptyCopy(top.sectorCount()))));
        CHAINED.add(this);
        return DiskChain.plain(true, frozen);
    }

    /**
     * From now on this disk reads exactly as {@code snapshot} (size included); what was written
     * since is dropped and its memory freed. The snapshot stays.
     *
     * @throws DiskException {@link DiskError#READ_ONLY} for a read-only disk,
     *     {@link DiskError#INVALID_INPUT} when {@code snapshot} is not a snapshot of the same
     *     sector size, {@link DiskError#UNSUPPORTED} when this disk cannot take snapshots
     */
    public void rollback(LayeredDisk snapshot) throws DiskException {
        rollbackAll(List.of(this), List.of(snapshot));
    }

    /** Rolls every {@code disks[i]} back to {@code snapshots[i]} at one instant; all or none. */
    public static void rollbackAll(List<LayeredDisk> disks, List<LayeredDisk> snapshots) throws DiskException {
        if (disks.size() != snapshots.size()) {
            throw new IllegalArgumentException(disks.size() + " disks but " + snapshots.size() + " snapshots");
        }
        List<DiskChain> replaced = new ArrayList<>();
        synchronized (CHANGES) {
            for (int i = 0; i < disks.size(); i++) {
                LayeredDisk d = disks.get(i);
                LayeredDisk s = snapshots.get(i);
                if (d.readOnly) {
                    throw new DiskException(DiskError.READ_ONLY, "the disk is read-only");
                }
                d.checkSnapshottable();
                if (s.closed || !s.readOnly || !(s.chain.layers[0] instanceof RamLayer) || s.sectorSize != d.sectorSize) {
                    throw new DiskException(DiskError.INVALID_INPUT, "only a snapshot of a disk with sector size "
                            + d.sectorSize + " can be rolled back to");
                }
            }
            List<LayeredDisk> order = new ArrayList<>(disks);
            order.sort(Comparator.comparingLong(LayeredDisk::id));
            for (LayeredDisk d : order) {
                d.gate.close();
            }
            try {
                for (int i = 0; i < disks.size(); i++) {
                    LayeredDisk d = disks.get(i);
                    DiskChain target = snapshots.get(i).chain;
                    replaced.add(d.chain);
                    d.chain = DiskChain.plain(false, DiskChain.onTop(d.freshTop(target.sectorCount()), target.retainAll()));
                    CHAINED.add(d);
                }
            } finally {
                for (LayeredDisk d : order) {
                    d.gate.open();
                }
            }
            for (DiskChain c : replaced) {
                c.releaseAll();
            }
            mergeEverywhere();
        }
    }

    /** An empty RAM layer like this disk's top, of {@code sectorCount} sectors. */
    private SharedLayer freshTop(long sectorCount) {
        RamLayer like = (RamLayer) chain.layers[0];
        return new SharedLayer(like.emptyCopy(sectorCount));
    }

    /**
     * A new writable disk with this disk's content at this instant, sharing its layers: it costs
     * memory only as either disk is written. A clone of a writable disk freezes its top first, as
     * a snapshot does.
     */
    public LayeredDisk cloneDisk() throws DiskException {
        HeapGuard.checkRoomFor("a clone");
        synchronized (CHANGES) {
            checkSnapshottable();
            if (!(chain.layers[0] instanceof RamLayer)) {
                throw new DiskException(DiskError.UNSUPPORTED, "clones need a RAM layer on top, not " + chain);
            }
            DiskChain frozen;
            if (readOnly) {
                frozen = DiskChain.plain(true, chain.retainAll());
            } else {
                gate.close();
                try {
                    frozen = freezeTop();
                } finally {
                    gate.open();
                }
            }
            RamLayer like = (RamLayer) frozen.layers[0];
            return new LayeredDisk(DiskChain.plain(false, frozen.under(new SharedLayer(like.emptyCopy(like.sectorCount())))));
        }
    }

    /**
     * Copies sectors {@code [sector, sector + count)} of {@code src} to the same sectors of
     * {@code dst} without copying data when the two can share layers ({@link SharedCopy}).
     *
     * @return false when they cannot share; nothing has changed then, and the caller copies
     */
    public static boolean shareRange(LayeredDisk src, LayeredDisk dst, long sector, long count) throws DiskException {
        return SharedCopy.shareRange(src, dst, sector, count);
    }

    /** Merges frozen layers that no chain reads on their own ({@link LayerMerging}). */
    static void mergeEverywhere() {
        LayerMerging.mergeEverywhere();
    }

    /** Puts a committed image in place while the disk is held still; returns the layer that reads it. */
    @FunctionalInterface
    public interface BasePublisher {
        LayerIo publish() throws java.io.IOException;
    }

    /**
     * The last step of a commit: this disk becomes an empty RAM layer over a new base that holds
     * exactly what {@code snapshot} (taken of this disk before the new base was written) reads.
     * Done only when nothing changed the disk since the snapshot: its top holds nothing and the
     * chain under it is the snapshot's. {@code publish} (rename the new image over the old one,
     * open it) runs with the gate closed, so no request sees the disk between the two. The old
     * chain is let go; snapshots and clones that share its layers keep them, the old base
     * included (its open descriptor keeps the replaced file readable).
     *
     * @return false, with nothing done and {@code publish} not called, when the disk changed
     * @throws java.io.IOException from {@code publish}; the disk is unchanged then
     */
    public boolean replaceBase(LayeredDisk snapshot, BasePublisher publish) throws DiskException, java.io.IOException {
        synchronized (CHANGES) {
            if (closed || readOnly || !chain.isSnapshottable()) {
                throw new DiskException(DiskError.UNSUPPORTED, "only a writable RAM layer over an image can be committed, not " + chain);
            }
            gate.close();
            DiskChain old = chain;
            try {
                if (!unchangedSince(snapshot)) {
                    return false;
                }
                LayerIo base = publish.publish();
                if (base.sectorCount() != old.sectorCount() || base.sectorSize() != sectorSize) {
                    base.close();
                    throw new DiskException(DiskError.INVALID_INPUT, "the committed image has " + base.sectorCount()
                            + " sectors, the disk " + old.sectorCount());
                }
                RamLayer top = (RamLayer) old.layers[0];
                chain = DiskChain.plain(false, new SharedLayer[] {new SharedLayer(top.emptyCopy(old.sectorCount())), new SharedLayer(base)});
                CHAINED.add(this);
            } finally {
                gate.open();
            }
            old.releaseAll();
            mergeEverywhere();
            return true;
        }
    }

    /** With the gate closed: the top holds nothing and the layers under it are {@code snapshot}'s. */
    private boolean unchangedSince(LayeredDisk snapshot) {
        DiskChain c = chain;
        SharedLayer[] theirs = snapshot.chain.links;
        if (!(c.layers[0] instanceof RamLayer top) || !top.isBlank() || top.sectorCount() != snapshot.sectorCount()
                || c.links.length != theirs.length + 1) {
            return false;
        }
        for (int i = 0; i < theirs.length; i++) {
            if (c.links[i + 1] != theirs[i]) {
                return false;
            }
        }
        return true;
    }

    /** How many layers the chain has now (the live one, the frozen ones, the base). */
    public int depth() {
        return chain.depth();
    }

    /**
     * Lets go of the chain: layers nothing else uses are closed and their memory returned; frozen
     * layers other disks or snapshots still use stay, and may be merged now.
     */
    @Override
    public void close() {
        DiskChain last;
        synchronized (CHANGES) {
            if (closed) {
                return;
            }
            closed = true;
            CHAINED.remove(this);
            last = chain;
        }
        // Requests still inside (a disk closed under its readers) finish against the old chain.
        gate.close();
        gate.open();
        last.releaseAll();
        if (!CHAINED.isEmpty()) {
            mergeEverywhere();
        }
    }

    /**
     * Closes several disks (an unmount): no merging between them, since the layers that would be
     * merged are about to be freed anyway.
     */
    public static void closeAll(java.util.Collection<LayeredDisk> disks) {
        List<DiskChain> last = new ArrayList<>();
        synchronized (CHANGES) {
            for (LayeredDisk d : disks) {
                if (!d.closed) {
                    d.closed = true;
                    CHAINED.remove(d);
                    last.add(d.chain);
                }
            }
        }
        for (LayeredDisk d : disks) {
            d.gate.close();
            d.gate.open();
        }
        for (DiskChain c : last) {
            c.releaseAll();
        }
    }

    @Override
    public String toString() {
        return "LayeredDisk(" + chain + ")";
    }
}

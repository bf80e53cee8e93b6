package io.ramdiskfs.disk.ram;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayerSource;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ReadVector;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.SectorRange;
import io.ramdiskfs.disk.SectorRun;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

/**
 * A sparse layer held in native memory, off the Java heap.
 *
 * <p><b>Layout.</b> Sectors are grouped in chunks of {@link #CHUNK_BYTES}. A chunk records per
 * sector one of three states: absent (a read falls through to the layer below), zero (reads zero,
 * costs no memory: how an unmap over a lower layer's data is held) or data. A chunk owns native
 * memory exactly while one of its sectors has data, so an idle disk costs nothing and unmapping
 * returns memory chunk by chunk.
 *
 * <p><b>Zeros.</b> A write looks at its data as it copies it in ({@link NativeMemory#zeroPrefix}:
 * the zeros at its start, stopping at the first word that is not zero). A piece of a chunk that is
 * all zero, in a chunk that holds no other data, takes the zero state instead: no memory, no copy,
 * and a chunk that held data gives its memory back as an unmap does. Zeros in a chunk that holds
 * other data stay data (the memory is needed anyway; docs/performance.md measures what a finer
 * split would save). Zeros are never refused for lack of memory.
 *
 * <p><b>Size.</b> Shrinking drops everything past the new end and lowers the zero-after point:
 * absent sectors at or past it read as zeros and never fall through, so a shrink followed by a
 * grow reads zeros rather than older data from below (upstream's {@code zero_after}).
 *
 * <p><b>Threads.</b> Chunks are guarded by {@link #STRIPES} striped locks by chunk number, so
 * readers and writers of different chunks do not wait for each other; a copy holds only its own
 * chunk's stripe. A resize or close holds every stripe. Memory is reserved from the
 * {@link MemoryBudget} for a whole write before any of it is written, so a refused write changes
 * nothing; a write the budget cannot hold is looked at again without its pieces of zeros.
 */
public final class RamLayer implements LayerIo {
    /** Bytes per chunk: large enough for little bookkeeping, small enough to keep random writes thin. */
    public static final int CHUNK_BYTES = 64 * 1024;
    static final int STRIPES = 64;
    /**
     * Whether writes look for zeros ({@link #writePiece}); {@code -Dramdiskfs.zeroCheck=false}
     * stores zeros as data, as before, for the A/B benchmark (bench/zeros.sh).
     */
    static final boolean ZERO_CHECK = Boolean.parseBoolean(System.getProperty("ramdiskfs.zeroCheck", "true"));

    private final int sectorSize;
    private final int sectorShift;
    private final int sectorsPerChunk;
    private final int chunkShift;
    private final int chunkBytes;
    private final MemoryBudget budget;
    private final ChunkAllocator allocator;
    private final StampedLock[] stripes = new StampedLock[STRIPES];
    private final AtomicLong committed = new AtomicLong();
    /** Bytes of writes that were zeros stored as the zero state, without memory. */
    private final AtomicLong zeroBytes = new AtomicLong();
    private final ChunkTable table;

    private volatile long sectorCount;
    /** Absent sectors at or past this read as zeros. Written only with every stripe held. */
    private long zeroAfter;
    /** Written only with every stripe held. */
    private boolean closed;
    /**
     * Part of a snapshot: writes, unmaps and resizes fail; the content changes only by a merge
     * ({@link #absorb}) while the layer is private to one chain. Written with every stripe held.
     */
    private volatile boolean frozen;

    private RamLayer(long sectorCount, int sectorSize, MemoryBudget budget, ChunkAllocator allocator) {
        this.sectorSize = sectorSize;
        this.sectorShift = Integer.numberOfTrailingZeros(sectorSize);
        this.chunkBytes = Math.max(CHUNK_BYTES, sectorSize);
        this.sectorsPerChunk = chunkBytes / sectorSize;
        this.chunkShift = Integer.numberOfTrailingZeros(sectorsPerChunk);
        this.budget = budget;
        this.allocator = allocator;
        this.sectorCount = sectorCount;
        this.zeroAfter = sectorCount;
        this.table = new ChunkTable(chunksFor(sectorCount));
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new StampedLock();
        }
    }

    /**
     * A RAM layer of {@code sizeBytes}.
     *
     * @throws IllegalArgumentException for a bad sector size, a size that is negative, not a
     *     multiple of the sector size, or larger than {@link SectorRange#MAX_DISK_BYTES}
     */
    public static RamLayer create(long sizeBytes, int sectorSize, MemoryBudget budget) {
        return create(sizeBytes, sectorSize, budget, ChunkAllocator.MALLOC);
    }

    public static RamLayer create(long sizeBytes, int sectorSize, MemoryBudget budget, ChunkAllocator allocator) {
        if (!SectorRange.isValidSectorSize(sectorSize)) {
            throw new IllegalArgumentException("sector size " + sectorSize + " is not a power of two in [512, "
                    + SectorRange.MAX_SECTOR_SIZE + "]");
        }
        if (sizeBytes < 0 || sizeBytes > SectorRange.MAX_DISK_BYTES) {
            throw new IllegalArgumentException("disk size " + sizeBytes + " is outside [0, " + SectorRange.MAX_DISK_BYTES + "]");
        }
        if (sizeBytes % sectorSize != 0) {
            throw new IllegalArgumentException("disk size 0x" + Long.toHexString(sizeBytes)
                    + " is not a multiple of the sector size " + sectorSize);
        }
        return new RamLayer(sizeBytes / sectorSize, sectorSize, budget, allocator);
    }

    /**
     * A RAM layer that takes its size and sector size from the layer it is stacked on (the
     * {@code memdiff:} case). Attaching it with nothing below fails.
     */
    public static LayerSource over(MemoryBudget budget, ChunkAllocator allocator) {
        return below -> {
            if (below == null) {
                throw new IllegalArgumentException("a RAM layer without a size needs a layer below to take its size from");
            }
            return new RamLayer(below.sectorCount(), below.sectorSize(), budget, allocator);
        };
    }

    public static LayerSource over(MemoryBudget budget) {
        return over(budget, ChunkAllocator.MALLOC);
    }

    @Override
    public String kind() {
        return "ram";
    }

    @Override
    public String description() {
        return sectorCount * sectorSize + " bytes";
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
        return false;
    }

    @Override
    public long committedBytes() {
        return committed.get();
    }

    @Override
    public long zeroBytesWritten() {
        return zeroBytes.get();
    }

    @Override
    public boolean supportsWriteNoOverwrite() {
        return true;
    }

    @Override
    public void flush() {
        // Nothing is volatile beyond the process itself; FUA and flush are satisfied on return.
    }

    private long chunksFor(long sectors) {
        return (sectors + sectorsPerChunk - 1) >>> chunkShift;
    }

    private StampedLock stripe(long chunk) {
        return stripes[(int) (chunk & (STRIPES - 1))];
    }

    // ------------------------------------------------------------------ read

    @Override
    public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
        SectorRange.check(sector, count, sectorCount);
        long end = sector + count;
        long s = sector;
        while (s < end) {
            long c = s >>> chunkShift;
            long pieceEnd = Math.min(end, (c + 1) << chunkShift);
            StampedLock lock = stripe(c);
            long stamp = lock.readLock();
            try {
                checkLive(sector, count, pieceEnd);
                readPiece(table.get(c), c, s, pieceEnd, base, offset + ((s - sector) << sectorShift), marker);
            } finally {
                lock.unlockRead(stamp);
            }
            s = pieceEnd;
        }
    }

    /**
     * Hands the bytes to {@code vector} as runs of chunk memory (data sectors), zeros (zeroed
     * sectors, and absent ones at or past zero-after or with nothing below) and runs of
     * {@code below} (absent sectors over a lower layer), holding the read locks of every chunk
     * involved, taken in ascending stripe order like {@link #lockAll}, until
     * {@link ReadVector#deliver} returns: writers, unmaps and resizes of those chunks wait, so the
     * runs neither change nor go away while the reader passes them on. A range over more chunks
     * than there are stripes is refused (false); reads that large go through {@link #read}.
     */
    @Override
    public boolean readInPlace(long position, int length, ReadVector vector, ReadVector.Below below)
            throws DiskException {
        if (position < 0 || length <= 0 || position > Long.MAX_VALUE - length) {
            throw new DiskException(DiskError.ILLEGAL_BLOCK, "byte range [" + position + ", +" + length + ") is invalid");
        }
        int byteShift = chunkShift + sectorShift;
        long end = position + length;
        long first = position >>> byteShift;
        long last = (end - 1) >>> byteShift;
        if (last - first >= STRIPES) {
            return false;
        }
        long held = 0;
        for (long c = first; c <= last; c++) {
            held |= 1L << (c & (STRIPES - 1));
        }
        for (long m = held; m != 0; m &= m - 1) {
            stripes[Long.numberOfTrailingZeros(m)].readLock();
        }
        try {
            if (closed) {
                throw new DiskException(DiskError.IO, "the RAM layer is closed");
            }
            if (end > sectorCount << sectorShift) {
                throw new DiskException(DiskError.ILLEGAL_BLOCK, "byte range [" + position + ", +" + length
                        + ") ends past the layer's " + (sectorCount << sectorShift) + " bytes");
            }
            for (long c = first; c <= last; c++) {
                long chunkStart = c << byteShift;
                gatherPiece(table.get(c), chunkStart, Math.max(position, chunkStart),
                        Math.min(end, chunkStart + chunkBytes), vector, below);
            }
            vector.deliver(length);
        } finally {
            for (long m = held; m != 0; m &= m - 1) {
                stripes[Long.numberOfTrailingZeros(m)].tryUnlockRead();
            }
        }
        return true;
    }

    /** Bytes {@code [from, to)} of one chunk, starting at byte {@code chunkStart}, as runs. */
    private void gatherPiece(Chunk chunk, long chunkStart, long from, long to, ReadVector vector, ReadVector.Below below) {
        if (chunk == null) {
            gatherAbsent(from, to, vector, below);
            return;
        }
        int i1 = (int) ((to - chunkStart + sectorSize - 1) >>> sectorShift);
        long at = from;
        for (int i = (int) ((from - chunkStart) >>> sectorShift); i < i1; ) {
            int state = chunk.state(i);
            int j = chunk.runEnd(state, i, i1);
            long runEnd = Math.min(to, chunkStart + ((long) j << sectorShift));
            switch (state) {
                case SectorRun.DATA -> vector.data(chunk.address + (at - chunkStart), runEnd - at);
                case SectorRun.ZERO -> vector.zeros(runEnd - at);
                default -> gatherAbsent(at, runEnd, vector, below);
            }
            at = runEnd;
            i = j;
        }
    }

    /** Absent bytes: from below up to zero-after, zeros from there (or all zeros with nothing below). */
    private void gatherAbsent(long from, long to, ReadVector vector, ReadVector.Below below) {
        long z = below == null ? from : Math.max(from, Math.min(to, zeroAfter << sectorShift));
        if (from < z) {
            below.runs(from, z - from, vector);
        }
        if (z < to) {
            vector.zeros(to - z);
        }
    }

    /**
     * No lock: a chunk slot is either null (nothing held, and the sectors fall through) or not;
     * the answer may be stale by the time the caller acts, which {@link LayerIo#holdsAny} allows.
     * Sectors at or past zero-after count as held, since this layer answers zeros for them.
     */
    @Override
    public boolean holdsAny(long sector, long count) {
        long end = sector + count;
        if (sector < 0 || count <= 0 || end > sectorCount || end > zeroAfter) {
            return true;
        }
        for (long c = sector >>> chunkShift, last = (end - 1) >>> chunkShift; c <= last; c++) {
            if (table.get(c) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * No lock, like {@link #holdsAny}: chunk slots and bitmaps are read as they are. Absent
     * sectors at or past zero-after are zeros; runs of absent chunks skip whole empty leaves.
     */
    @Override
    public SectorRun run(long sector, long limit, SectorRun out) {
        long za = zeroAfter;
        long end = Math.min(limit, sectorCount);
        if (sector >= end) {
            return out.set(SectorRun.ZERO, Math.max(limit, sector + 1));
        }
        long s = sector;
        long c = s >>> chunkShift;
        Chunk chunk = table.leafAbsent(c) ? null : table.get(c);
        if (chunk == null) {
            // Absent: extend over absent chunks and leaves, then split at zero-after.
            long e = s;
            while (e < end) {
                long ce = e >>> chunkShift;
                if (table.leafAbsent(ce)) {
                    e = table.absentEnd(ce) << chunkShift;
                } else if (table.get(ce) == null) {
                    e = (ce + 1) << chunkShift;
                } else {
                    break;
                }
            }
            e = Math.min(e, end);
            if (s >= za) {
                return out.set(SectorRun.ZERO, e);
            }
            return out.set(SectorRun.ABSENT, Math.min(e, za));
        }
        long chunkStart = c << chunkShift;
        long chunkEnd = Math.min(end, chunkStart + sectorsPerChunk);
        int i = (int) (s - chunkStart);
        int state = chunk.state(i);
        long e = chunkStart + chunk.runEnd(state, i, (int) (chunkEnd - chunkStart));
        if (state != SectorRun.ABSENT) {
            return out.set(state, e);
        }
        if (s >= za) {
            return out.set(SectorRun.ZERO, e);
        }
        return out.set(SectorRun.ABSENT, Math.min(e, za));
    }

    /** Under a stripe lock: the layer is open and the piece still lies within it. */
    private void checkLive(long sector, long count, long pieceEnd) throws DiskException {
        if (closed) {
            throw new DiskException(DiskError.IO, "the RAM layer is closed");
        }
        if (pieceEnd > sectorCount) {
            throw DiskException.illegalBlock(sector, count, sectorCount);
        }
    }

    private void readPiece(Chunk chunk, long c, long s, long e, Object base, long dst, SectorMarker marker) {
        long chunkStart = c << chunkShift;
        int i0 = (int) (s - chunkStart);
        int i1 = (int) (e - chunkStart);
        if (chunk == null) {
            readAbsent(s, e, base, dst, marker);
            return;
        }
        for (int i = i0; i < i1; ) {
            long runDst = dst + ((long) (i - i0) << sectorShift);
            int state = chunk.state(i);
            int j = chunk.runEnd(state, i, i1);
            switch (state) {
                case SectorRun.DATA -> {
                    NativeMemory.copy(null, chunk.address + ((long) i << sectorShift), base, runDst, (long) (j - i) << sectorShift);
                    mark(marker, chunkStart + i, chunkStart + j);
                }
                case SectorRun.ZERO -> {
                    NativeMemory.zero(base, runDst, (long) (j - i) << sectorShift);
                    mark(marker, chunkStart + i, chunkStart + j);
                }
                default -> readAbsent(chunkStart + i, chunkStart + j, base, runDst, marker);
            }
            i = j;
        }
    }

    /** Absent sectors: zeros at or past zero-after (or for a lone layer), else fall through. */
    private void readAbsent(long s, long e, Object base, long dst, SectorMarker marker) {
        long z = marker == null ? s : Math.max(s, zeroAfter);
        if (z < e) {
            NativeMemory.zero(base, dst + ((z - s) << sectorShift), (e - z) << sectorShift);
            mark(marker, z, e);
        }
    }

    private static void mark(SectorMarker marker, long from, long to) {
        if (marker != null) {
            marker.setRange(from, to);
        }
    }

    // ------------------------------------------------------------------ write

    @Override
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        store(base, offset, sector, count, true);
    }

    @Override
    public void writeNoOverwrite(Object base, long offset, long sector, int count) throws DiskException {
        store(base, offset, sector, count, false);
    }

    private void store(Object base, long offset, long sector, int count, boolean overwrite) throws DiskException {
        SectorRange.check(sector, count, sectorCount);
        if (count == 0) {
            return;
        }
        long end = sector + count;
        long first = sector >>> chunkShift;
        long last = (end - 1) >>> chunkShift;
        if (first != last) {
            storeAcross(base, offset, sector, end, overwrite, stripesOf(first, last));
            return;
        }
        // One chunk, one stripe: a reservation short by a concurrent unmap fails in allocate,
        // before the piece changes anything.
        long credit = reserveFor(base, offset, sector, end);
        try {
            long s = sector;
            while (s < end) {
                long c = s >>> chunkShift;
                long pieceEnd = Math.min(end, (c + 1) << chunkShift);
                StampedLock lock = stripe(c);
                long stamp = lock.writeLock();
                try {
                    if (closed || frozen) {
                        throw unusable();
                    }
                    // A piece past a concurrent shrink is dropped: the write ordered before it.
                    if (pieceEnd <= sectorCount) {
                        credit = writePiece(c, s, pieceEnd, base, offset + ((s - sector) << sectorShift), overwrite, credit);
                    }
                } finally {
                    lock.unlockWrite(stamp);
                }
                s = pieceEnd;
            }
        } finally {
            if (credit > 0) {
                budget.release(credit);
            }
        }
    }

    /**
     * A write over several chunks, with all their stripes held from the reservation to the last
     * piece: the memory it needs is counted exactly and reserved at once, so a refused write
     * changes nothing even while other requests unmap or write the same chunks (a lock-free
     * estimate could come up short after earlier pieces had landed). Stripes are taken in
     * ascending order, as {@link #lockAll} takes them, so two such writes cannot deadlock.
     */
    private void storeAcross(Object base, long offset, long sector, long end, boolean overwrite, long stripeMask)
            throws DiskException {
        FreeBatch batch = FREES.get().begin(this);
        lockStripes(stripeMask);
        try {
            if (closed || frozen) {
                throw unusable();
            }
            long credit = reserveFor(base, offset, sector, end);
            try {
                for (long s = sector; s < end; ) {
                    long c = s >>> chunkShift;
                    long pieceEnd = Math.min(end, (c + 1) << chunkShift);
                    // A piece past a shrink that came before this write is dropped.
                    if (pieceEnd <= sectorCount) {
                        credit = writePiece(c, s, pieceEnd, base, offset + ((s - sector) << sectorShift), overwrite, credit);
                    }
                    s = pieceEnd;
                }
            } finally {
                if (credit > 0) {
                    budget.release(credit);
                }
            }
        } finally {
            unlockStripes(stripeMask);
            batch.end(); // the chunks zeros freed go back in one call per run, outside the locks
        }
    }

    /** The stripes of chunks {@code [first, last]} as a bit mask ({@link #STRIPES} is 64). */
    private static long stripesOf(long first, long last) {
        if (last - first >= STRIPES - 1) {
            return -1L;
        }
        long mask = 0;
        for (long c = first; c <= last; c++) {
            mask |= 1L << (c & (STRIPES - 1));
        }
        return mask;
    }

    private void lockStripes(long mask) {
        for (long m = mask; m != 0; m &= m - 1) {
            stripes[Long.numberOfTrailingZeros(m)].writeLock();
        }
    }

    private void unlockStripes(long mask) {
        for (long m = mask; m != 0; m &= m - 1) {
            stripes[Long.numberOfTrailingZeros(m)].tryUnlockWrite();
        }
    }

    /**
     * Reserves memory for every chunk of the range that holds none yet, so that a write the
     * budget cannot hold fails before it changes anything. Exact when the range's stripes are
     * held ({@link #storeAcross}); for one chunk read without its lock, where a concurrent unmap
     * can only make {@link #allocate} ask for the shortfall before the piece changes anything.
     */
    private long reserveFor(Object base, long offset, long sector, long end) throws DiskException {
        long need = 0;
        for (long c = sector >>> chunkShift, last = (end - 1) >>> chunkShift; c <= last; c++) {
            Chunk chunk = table.get(c);
            if (chunk == null || chunk.address == 0) {
                need += chunkBytes;
            }
        }
        if (need > 0 && !TableHeap.hasRoom()) {
            throw tablesFull(sector, end);
        }
        if (need == 0 || budget.tryReserve(need)) {
            return need;
        }
        if (ZERO_CHECK) {
            // Zeros need no memory and are never refused: count only the pieces that are not all
            // zero. This reads those pieces once more, but only on the way to ENOSPC.
            need = 0;
            for (long c = sector >>> chunkShift, last = (end - 1) >>> chunkShift; c <= last; c++) {
                Chunk chunk = table.get(c);
                long s = Math.max(sector, c << chunkShift);
                long bytes = (Math.min(end, (c + 1) << chunkShift) - s) << sectorShift;
                if ((chunk == null || chunk.address == 0)
                        && NativeMemory.zeroPrefix(base, offset + ((s - sector) << sectorShift), bytes) != bytes) {
                    need += chunkBytes;
                }
            }
            if (need == 0 || budget.tryReserve(need)) {
                return need;
            }
        }
        throw noSpace(sector, end, need);
    }

    /** The chunk tables are at their heap ceiling: a request that may need new nodes is refused. */
    private static DiskException tablesFull(long sector, long end) {
        return new DiskException(DiskError.NO_SPACE, "sectors [" + sector + ", " + end + ") may need new chunk table nodes, and"
                + " the tables of every disk hold " + TableHeap.held() + " bytes of heap, at their limit of " + TableHeap.limit()
                + " (raise -Xmx, or -Dramdiskfs.tableHeapLimit)");
    }

    private DiskException noSpace(long sector, long end, long need) {
        return new DiskException(DiskError.NO_SPACE, "writing sectors [" + sector + ", " + end + ") needs " + need
                + " bytes of new memory; the budget has " + budget.available() + " of " + budget.limit() + " left");
    }

    /** Writes one piece within chunk {@code c}; returns the credit left. */
    private long writePiece(long c, long s, long e, Object base, long src, boolean overwrite, long credit)
            throws DiskException {
        long chunkStart = c << chunkShift;
        int i0 = (int) (s - chunkStart);
        int i1 = (int) (e - chunkStart);
        Chunk chunk = table.get(c);
        if (overwrite) {
            long bytes = (long) (i1 - i0) << sectorShift;
            long zeros = zeroPrefix(base, src, bytes);
            if (zeros == bytes && holdsNoDataBut(chunk, i0, i1)) {
                // Zeros, and the chunk holds no other data: the zero state, as an unmap leaves it.
                dropSectors(c, chunk, i0, i1, i1);
                zeroBytes.addAndGet(bytes);
                return credit;
            }
            if (chunk == null || chunk == Chunk.ALL_ZERO || chunk.address == 0) {
                chunk = materialize(c, chunk);
                credit = allocate(chunk, credit, s, e);
            }
            fill(chunk, i0, base, src, bytes, zeros);
            setData(chunk, i0, i1);
            return credit;
        }
        if (chunk == Chunk.ALL_ZERO) {
            return credit;
        }
        int i = chunk == null ? i0 : Bits.next(chunk.present, i0, i1, false);
        while (i < i1) {
            int j = chunk == null ? i1 : Bits.next(chunk.present, i, i1, true);
            long from = src + ((long) (i - i0) << sectorShift);
            long bytes = (long) (j - i) << sectorShift;
            long zeros = zeroPrefix(base, from, bytes);
            boolean memory = chunk != null && chunk.address != 0;
            chunk = materialize(c, chunk);
            if (zeros == bytes && !memory) {
                Bits.setRange(chunk.present, i, j);
                zeroBytes.addAndGet(bytes);
            } else {
                if (!memory) {
                    credit = allocate(chunk, credit, s, e);
                }
                fill(chunk, i, base, from, bytes, zeros);
                setData(chunk, i, j);
            }
            i = Bits.next(chunk.present, j, i1, false);
        }
        if (chunk != null && chunk.dataSectors == 0) {
            settle(c, chunk);
        }
        return credit;
    }

    /**
     * The zero bytes at the start of a request's piece, found while the piece is read for the
     * copy ({@link NativeMemory#zeroPrefix}); 0 with {@code -Dramdiskfs.zeroCheck=false}.
     */
    private static long zeroPrefix(Object base, long src, long bytes) {
        return ZERO_CHECK ? NativeMemory.zeroPrefix(base, src, bytes) : 0;
    }

    /** True when every data sector of {@code chunk} lies in {@code [i0, i1)}. */
    private static boolean holdsNoDataBut(Chunk chunk, int i0, int i1) {
        return chunk == null || chunk.address == 0 || chunk.dataSectors == Bits.count(chunk.data, i0, i1);
    }

    /**
     * Copies {@code bytes} from {@code (base, src)} into the chunk from sector {@code i}; the
     * first {@code zeros} of them, known to be zero, are written without being read again.
     */
    private void fill(Chunk chunk, int i, Object base, long src, long bytes, long zeros) {
        long dst = chunk.address + ((long) i << sectorShift);
        if (zeros > 0) {
            NativeMemory.zero(null, dst, zeros);
        }
        NativeMemory.copy(base, src + zeros, null, dst + zeros, bytes - zeros);
    }

    private void setData(Chunk chunk, int from, int to) {
        if (chunk.dataSectors == sectorsPerChunk) {
            // Every sector holds data already (the steady state of a written disk): the bitmaps,
            // two more cache misses per write, need no change.
            return;
        }
        chunk.dataSectors += (to - from) - Bits.count(chunk.data, from, to);
        Bits.setRange(chunk.data, from, to);
        Bits.setRange(chunk.present, from, to);
    }

    /** A mutable chunk for slot {@code c}, stored in the table. */
    private Chunk materialize(long c, Chunk chunk) {
        if (chunk != null && chunk != Chunk.ALL_ZERO) {
            return chunk;
        }
        Chunk fresh = new Chunk(sectorsPerChunk);
        if (chunk == Chunk.ALL_ZERO) {
            Bits.setRange(fresh.present, 0, sectorsPerChunk);
        }
        table.set(c, fresh);
        return fresh;
    }

    private long allocate(Chunk chunk, long credit, long s, long e) throws DiskException {
        if (credit >= chunkBytes) {
            credit -= chunkBytes;
        } else if (!budget.tryReserve(chunkBytes)) {
            throw noSpace(s, e, chunkBytes);
        }
        try {
            chunk.address = allocator.allocate(chunkBytes);
        } catch (OutOfMemoryError oom) {
            budget.release(chunkBytes);
            throw new DiskException(DiskError.NO_SPACE, "the system refused " + chunkBytes + " bytes of memory for sectors ["
                    + s + ", " + e + ")", oom);
        }
        committed.addAndGet(chunkBytes);
        return credit;
    }

    private void freeMemory(Chunk chunk) {
        if (chunk.address != 0) {
            FreeBatch batch = FREES.get();
            if (batch.layer == this) {
                batch.add(chunk.address);
            } else {
                allocator.free(chunk.address, chunkBytes);
            }
            chunk.address = 0;
            committed.addAndGet(-chunkBytes);
            budget.release(chunkBytes);
        }
    }

    // ------------------------------------------------------------------ unmap

    @Override
    public void unmap(long sector, long count, long zeroBelowFrom) throws DiskException {
        SectorRange.check(sector, count, sectorCount);
        long end = sector + count;
        if (zeroBelowFrom > sector && !TableHeap.hasRoom()) {
            throw tablesFull(sector, end); // the zero state over a layer below needs table slots
        }
        FreeBatch batch = FREES.get().begin(this);
        try {
            unmapPieces(sector, end, zeroBelowFrom);
        } finally {
            batch.end(); // a punch of 1 MiB frees 16 chunks: one call per run, not 16
        }
    }

    private void unmapPieces(long sector, long end, long zeroBelowFrom) throws DiskException {
        long s = sector;
        while (s < end) {
            long c = s >>> chunkShift;
            if (s >= zeroBelowFrom && table.leafAbsent(c)) {
                // Nothing stored in this leaf and nothing below to hide: nothing to do.
                s = Math.min(end, table.absentEnd(c) << chunkShift);
                continue;
            }
            long pieceEnd = Math.min(end, (c + 1) << chunkShift);
            StampedLock lock = stripe(c);
            long stamp = lock.writeLock();
            try {
                if (closed || frozen) {
                    throw unusable();
                }
                if (pieceEnd <= sectorCount) {
                    unmapPiece(c, s, pieceEnd, zeroBelowFrom);
                }
            } finally {
                lock.unlockWrite(stamp);
            }
            s = pieceEnd;
        }
    }

    private void unmapPiece(long c, long s, long e, long zeroBelowFrom) {
        long chunkStart = c << chunkShift;
        int i0 = (int) (s - chunkStart);
        int i1 = (int) (e - chunkStart);
        // [i0, keep) must read zero over lower data; [keep, i1) can simply be dropped.
        int keep = (int) Math.max(i0, Math.min(i1, zeroBelowFrom - chunkStart));
        dropSectors(c, table.get(c), i0, keep, i1);
    }

    /**
     * Sectors {@code [i0, keep)} of chunk {@code c} become zero and {@code [keep, i1)} absent,
     * whatever they held: the one way sectors are taken away (unmap, drop, shrink, close, a write
     * of zeros). A chunk left without data gives its memory back; a whole chunk becomes the shared
     * {@link Chunk#ALL_ZERO} or nothing. Call with the chunk's stripe held.
     */
    private void dropSectors(long c, Chunk chunk, int i0, int keep, int i1) {
        if (chunk == null && keep == i0) {
            return;
        }
        if (i0 == 0 && i1 == sectorsPerChunk && (keep == i0 || keep == i1)) {
            if (chunk != null) {
                freeMemory(chunk);
            }
            table.set(c, keep == i1 ? Chunk.ALL_ZERO : null);
            return;
        }
        chunk = materialize(c, chunk);
        chunk.drop(i0, keep, i1);
        settle(c, chunk);
    }

    /** Frees a chunk's memory once it holds no data, and the chunk once it holds nothing. */
    private void settle(long c, Chunk chunk) {
        if (chunk.dataSectors > 0) {
            return;
        }
        freeMemory(chunk);
        int present = Bits.count(chunk.present, 0, sectorsPerChunk);
        if (present == 0) {
            table.set(c, null);
        } else if (present == sectorsPerChunk) {
            table.set(c, Chunk.ALL_ZERO);
        }
    }

    // ------------------------------------------------------------------ snapshots

    private DiskException unusable() {
        return closed ? new DiskException(DiskError.IO, "the RAM layer is closed")
                : new DiskException(DiskError.READ_ONLY, "the RAM layer is frozen (part of a snapshot)");
    }

    /** Makes the layer immutable: it becomes part of a snapshot. Waits for writers inside it. */
    public void freeze() {
        long[] stamps = lockAll();
        try {
            frozen = true;
        } finally {
            unlockAll(stamps);
        }
    }

    public boolean isFrozen() {
        return frozen;
    }

    /** An empty RAM layer of {@code sectorCount} sectors like this one: same sector size, budget, allocator. */
    public RamLayer emptyCopy(long sectorCount) {
        return new RamLayer(sectorCount, sectorSize, budget, allocator);
    }

    /**
     * This frozen layer's bytes as runs, without locks (nothing changes a frozen layer while a
     * chain that reads it is in use); what it does not hold comes from {@code below}, or is zeros
     * when {@code below} is null.
     */
    public ReadVector.Below frozenRuns(ReadVector.Below below) {
        if (!frozen) {
            throw new IllegalStateException("only a frozen layer can be read without locks");
        }
        int byteShift = chunkShift + sectorShift;
        return (position, length, vector) -> {
            long end = position + length;
            for (long c = position >>> byteShift, last = (end - 1) >>> byteShift; c <= last; c++) {
                long chunkStart = c << byteShift;
                gatherPiece(table.get(c), chunkStart, Math.max(position, chunkStart), Math.min(end, chunkStart + chunkBytes),
                        vector, below);
            }
        };
    }

    /**
     * Merges {@code lower}, the layer right under this one in a chain, into this one: afterwards
     * this layer alone reads as the two did together (this one wins where both hold a sector) and
     * {@code lower} can be dropped. Whole chunks this layer does not hold move over without a copy;
     * partly held chunks take lower's memory with this layer's sectors copied in
     * ({@link #copyAbsent}), so a merge needs nothing from the budget and always completes.
     * {@code lower}'s sectors at or past {@code visibleLimit} (which the chain never showed) are
     * left behind.
     *
     * <p>Call only while no request uses either layer and no other chain uses {@code lower} (the
     * disk's gate is closed).
     */
    public void absorb(RamLayer lower, long visibleLimit) {
        if (lower.sectorSize != sectorSize) {
            throw new IllegalArgumentException("sector sizes differ: " + sectorSize + " and " + lower.sectorSize);
        }
        long[] mine = lockAll();
        long[] theirs = lower.lockAll();
        try {
            long limit = Math.min(Math.min(zeroAfter, visibleLimit), Math.min(lower.sectorCount, sectorCount));
            long chunks = chunksFor(limit);
            // Pass 1: chunks this layer holds in part take lower's sectors in (no new memory).
            for (long c = 0; c < chunks; c++) {
                if (lower.table.leafAbsent(c)) {
                    c = lower.table.absentEnd(c) - 1;
                    continue;
                }
                Chunk theirsChunk = lower.table.get(c);
                int n = (int) Math.min(sectorsPerChunk, limit - (c << chunkShift));
                if (theirsChunk == null || (table.get(c) == null && n == sectorsPerChunk)) {
                    continue;
                }
                copyAbsent(c, theirsChunk, lower, n);
            }
            // Pass 2: move whole chunks this layer does not hold at all.
            for (long c = 0; c < chunks; c++) {
                if (lower.table.leafAbsent(c)) {
                    c = lower.table.absentEnd(c) - 1;
                    continue;
                }
                Chunk moving = lower.table.get(c);
                if (moving == null || table.get(c) != null || (c + 1) << chunkShift > limit) {
                    continue;
                }
                table.set(c, moving);
                lower.table.set(c, null);
                if (moving.address != 0) {
                    lower.committed.addAndGet(-chunkBytes);
                    committed.addAndGet(chunkBytes);
                }
            }
            // Sectors neither holds read zero at or past lower's zero-after, not what lies below it.
            zeroAfter = Math.min(zeroAfter, lower.zeroAfter);
            zeroBytes.addAndGet(lower.zeroBytes.getAndSet(0));
        } finally {
            lower.unlockAll(theirs);
            unlockAll(mine);
        }
    }

    /** True when the layer holds no sector at all: no data, no zeros. */
    public boolean isBlank() {
        long[] stamps = lockAll();
        try {
            for (long c = 0, chunks = chunksFor(sectorCount); c < chunks; c++) {
                if (table.leafAbsent(c)) {
                    c = table.absentEnd(c) - 1;
                } else if (table.get(c) != null) {
                    return false;
                }
            }
            return zeroAfter >= sectorCount;
        } finally {
            unlockAll(stamps);
        }
    }

    /**
     * Lets {@code [from, to)} show what the layers below hold there, as if it had been copied from
     * them: the sectors this layer holds in the range are dropped, and the zero-after point is
     * raised to {@code to} (never lowered). Absent sectors between the old zero-after point and
     * {@code from}, which read zeros until now, are marked zero where {@code belowHolds} says a
     * lower layer may hold something, so they keep reading zeros. This is how a copy of a range
     * between two disks that share the layers below costs no data ({@code copy_file_range}).
     *
     * @param belowHolds for a chunk-sized sector range {@code [s, e)}: may a lower layer hold any of it
     */
    public void shareFromBelow(long from, long to, java.util.function.LongBinaryOperator belowHolds) throws DiskException {
        long[] stamps = lockAll();
        try {
            if (closed || frozen) {
                throw unusable();
            }
            if (from < 0 || to < from || to > sectorCount) {
                throw DiskException.illegalBlock(from, to - from, sectorCount);
            }
            for (long s = zeroAfter; s < from; ) {
                long c = s >>> chunkShift;
                long e = Math.min(from, (c + 1) << chunkShift);
                if (belowHolds.applyAsLong(s, e) != 0) {
                    markAbsentZero(c, s, e);
                }
                s = e;
            }
            dropRange(from, to);
            zeroAfter = Math.max(zeroAfter, to);
        } finally {
            unlockAll(stamps);
        }
    }

    /** Absent sectors of {@code [s, e)}, within chunk {@code c}, become zero; call with every stripe held. */
    private void markAbsentZero(long c, long s, long e) {
        long chunkStart = c << chunkShift;
        Chunk chunk = table.get(c);
        if (chunk == Chunk.ALL_ZERO) {
            return;
        }
        if (chunk == null && s == chunkStart && e - s == sectorsPerChunk) {
            table.set(c, Chunk.ALL_ZERO);
            return;
        }
        chunk = materialize(c, chunk);
        Bits.setRange(chunk.present, (int) (s - chunkStart), (int) (e - chunkStart));
        settle(c, chunk);
    }

    /** Drops every sector in {@code [from, to)} (they become absent); call with every stripe held. */
    private void dropRange(long from, long to) {
        for (long s = from; s < to; ) {
            long c = s >>> chunkShift;
            long chunkStart = c << chunkShift;
            long e = Math.min(to, chunkStart + sectorsPerChunk);
            if (table.leafAbsent(c)) {
                s = Math.min(to, table.absentEnd(c) << chunkShift);
                continue;
            }
            int i0 = (int) (s - chunkStart);
            dropSectors(c, table.get(c), i0, i0, (int) (e - chunkStart));
            s = e;
        }
    }

    /**
     * Gives chunk {@code c} here the first {@code n} sectors of {@code from} (lower's chunk
     * {@code c}) that it lacks. Never allocates, so a merge is never refused for memory (and
     * never stops half done holding copies twice): sectors that are only zero need no memory,
     * and when lower holds data its memory comes up with it, taking this chunk's data sectors in.
     * Call with every stripe of both layers held.
     */
    private void copyAbsent(long c, Chunk from, RamLayer lower, int n) {
        Chunk to = table.get(c);
        if (to == Chunk.ALL_ZERO) {
            return;
        }
        if (from.address != 0) {
            adoptMemory(c, to, from, lower, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            // lower has no data in this chunk: its present sectors are zeros, which cost nothing
            if ((to == null || to.state(i) == SectorRun.ABSENT) && from.state(i) == SectorRun.ZERO) {
                to = materialize(c, to);
                Bits.setRange(to.present, i, i + 1);
            }
        }
        if (to != null) {
            settle(c, to);
        }
    }

    /**
     * Chunk {@code c} becomes lower's memory with this chunk's sectors written over it: sector i
     * is this chunk's where it holds one (or i is at or past {@code n}, which the chain never
     * showed of lower), else lower's. This chunk's own memory, if any, is freed; the adopted
     * memory moves from lower's count to this layer's, so the budget sees no change.
     */
    private void adoptMemory(long c, Chunk to, Chunk from, RamLayer lower, int n) {
        Chunk merged = new Chunk(sectorsPerChunk);
        merged.address = from.address;
        for (int i = 0; i < sectorsPerChunk; ) {
            int mine = to == null ? SectorRun.ABSENT : to.state(i);
            boolean takeMine = mine != SectorRun.ABSENT || i >= n;
            Chunk source = takeMine ? to : from;
            int state = takeMine ? mine : from.state(i);
            int runEnd = source == null ? sectorsPerChunk : source.runEnd(state, i, takeMine ? sectorsPerChunk : n);
            if (takeMine && i < n) {
                runEnd = Math.min(runEnd, n);
            } else if (!takeMine && to != null) {
                runEnd = Math.min(runEnd, to.runEnd(SectorRun.ABSENT, i, n));
            }
            if (state == SectorRun.DATA) {
                if (takeMine) {
                    NativeMemory.copy(null, to.address + ((long) i << sectorShift), null, merged.address + ((long) i << sectorShift),
                            (long) (runEnd - i) << sectorShift);
                }
                setData(merged, i, runEnd);
            } else if (state == SectorRun.ZERO) {
                Bits.setRange(merged.present, i, runEnd);
            }
            i = runEnd;
        }
        from.address = 0; // now merged's
        lower.table.set(c, null);
        lower.committed.addAndGet(-chunkBytes);
        committed.addAndGet(chunkBytes);
        if (to != null) {
            freeMemory(to);
        }
        table.set(c, merged);
        settle(c, merged);
    }

    // ------------------------------------------------------------------ resize, close

    @Override
    public void resize(long newSectorCount) throws DiskException {
        if (newSectorCount < 0 || newSectorCount > SectorRange.maxSectorCount(sectorSize)) {
            throw new DiskException(DiskError.INVALID_INPUT, "sector count " + newSectorCount + " is outside [0, "
                    + SectorRange.maxSectorCount(sectorSize) + "]");
        }
        long[] stamps = lockAll();
        try {
            if (closed || frozen) {
                throw unusable();
            }
            long old = sectorCount;
            zeroAfter = Math.min(zeroAfter, newSectorCount);
            if (newSectorCount < old) {
                dropFrom(newSectorCount, old);
            }
            table.resize(chunksFor(newSectorCount));
            sectorCount = newSectorCount;
        } finally {
            unlockAll(stamps);
        }
    }

    /** Drops every sector in {@code [from, to)}; call with every stripe held. */
    private void dropFrom(long from, long to) {
        long c = from >>> chunkShift;
        int partial = (int) (from & (sectorsPerChunk - 1));
        if (partial != 0) {
            dropSectors(c, table.get(c), partial, partial, sectorsPerChunk);
            c++;
        }
        long lastChunk = chunksFor(to);
        while (c < lastChunk) {
            if (table.leafAbsent(c)) {
                c = table.absentEnd(c);
                continue;
            }
            dropSectors(c, table.get(c), 0, 0, sectorsPerChunk);
            c++;
        }
    }

    /** Frees all memory. Later I/O fails with {@link DiskError#IO}. */
    @Override
    public void close() {
        long[] stamps = lockAll();
        try {
            if (!closed) {
                dropFrom(0, sectorCount);
                table.close();
                closed = true;
            }
        } finally {
            unlockAll(stamps);
        }
    }

    private long[] lockAll() {
        long[] stamps = new long[STRIPES];
        for (int i = 0; i < STRIPES; i++) {
            stamps[i] = stripes[i].writeLock();
        }
        return stamps;
    }

    private void unlockAll(long[] stamps) {
        for (int i = STRIPES - 1; i >= 0; i--) {
            stripes[i].unlockWrite(stamps[i]);
        }
    }

    @Override
    public String toString() {
        return "RamLayer(" + sectorCount + " x " + sectorSize + ", committed " + committed.get() + ")";
    }

    /**
     * Chunk memory freed during one request (a write of zeros, an unmap), handed to the allocator
     * at its end in one {@link ChunkAllocator#freeAll} instead of one free each. Per thread and
     * reused: no allocation. Only the layer that began it batches; frees of other layers on the
     * same thread (none today) go straight through.
     */
    private static final class FreeBatch {
        private final long[] addresses = new long[STRIPES];
        private int count;
        private RamLayer layer;

        FreeBatch begin(RamLayer owner) {
            if (layer == null) {
                layer = owner;
                count = 0;
                return this;
            }
            return NESTED; // already batching (cannot happen today): the outer request frees
        }

        void add(long address) {
            if (count == addresses.length) {
                layer.allocator.freeAll(addresses, count, layer.chunkBytes);
                count = 0;
            }
            addresses[count++] = address;
        }

        void end() {
            if (this == NESTED) {
                return;
            }
            RamLayer owner = layer;
            layer = null;
            if (count > 0) {
                owner.allocator.freeAll(addresses, count, owner.chunkBytes);
                count = 0;
            }
        }
    }

    private static final FreeBatch NESTED = new FreeBatch();
    private static final ThreadLocal<FreeBatch> FREES = ThreadLocal.withInitial(FreeBatch::new);
}

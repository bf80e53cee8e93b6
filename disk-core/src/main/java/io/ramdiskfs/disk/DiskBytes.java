package io.ramdiskfs.disk;

/**
 * The byte-granular view of a {@link LayeredDisk}, for callers that are not sector aligned (the
 * FUSE side). Offsets and lengths are in bytes.
 *
 * <ul>
 *   <li>A partial sector is read-modify-written under the {@link RangeLocks} stripes of its
 *       bytes, which every write, unmap and resize through this view also takes: no update is
 *       lost to a concurrent writer of the same sector.
 *   <li>An unaligned write goes to the disk as one aligned write assembled in per-thread scratch,
 *       so a failure (no memory) changes nothing (up to {@link #ATOMIC_BYTES}). Aligned writes go
 *       straight from the caller's memory: one copy.
 *   <li>A read at or past the end returns 0; one that crosses the end is short.
 * </ul>
 */
public final class DiskBytes {
    /**
     * Unaligned writes of up to this many bytes (the largest FUSE request) go to the disk as one
     * write, so a refusal changes nothing; larger ones (the embedded API only) are split, each
     * piece atomic on its own.
     */
    private static final int ATOMIC_BYTES = 1 << 20;
    /** The scratch holds an atomic write and the partial sectors at both of its ends. */
    private static final int SCRATCH_BYTES = ATOMIC_BYTES + 2 * SectorRange.MAX_SECTOR_SIZE;
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

    private final LayeredDisk disk;
    private final int sectorSize;
    private final long sectorMask;
    private final RangeLocks locks = new RangeLocks();

    DiskBytes(LayeredDisk disk) {
        this.disk = disk;
        this.sectorSize = disk.sectorSize();
        this.sectorMask = sectorSize - 1;
    }

    public long size() {
        return disk.sizeBytes();
    }

    /**
     * Reads up to {@code length} bytes at {@code position} into {@code (base, offset)}.
     *
     * @return the bytes read: short when the range crosses the end, 0 at or past it
     */
    public int read(long position, Object base, long offset, int length) throws DiskException {
        checkRequest(position, length);
        for (int attempt = 0; ; attempt++) {
            int t = disk.enter();
            try {
                return readOnce(disk.current(), position, base, offset, length);
            } catch (DiskException e) {
                // The disk shrank between the size check and the read: answer for the new size.
                if (e.error() != DiskError.ILLEGAL_BLOCK || attempt >= 3) {
                    throw e;
                }
            } finally {
                disk.exit(t);
            }
        }
    }

    /**
     * Reads like {@link #read}, but hands the answer to {@code vector} as runs of the disk's own
     * memory and zeros, then calls {@link ReadVector#deliver}, all while the runs are held: no
     * copy at all in Java. Any byte offset and length.
     *
     * @return the bytes delivered (short when the range crosses the end); 0 at or past the end,
     *     with nothing delivered; -1 when this disk cannot be read in place (it has layers below
     *     the top one), with nothing delivered: then use {@link #read}
     */
    public int readInPlace(long position, int length, ReadVector vector) throws DiskException {
        checkRequest(position, length);
        for (int attempt = 0; ; attempt++) {
            int t = disk.enter();
            try {
                DiskChain c = disk.current();
                long size = c.sectorCount() * sectorSize;
                if (position >= size || length == 0) {
                    return 0;
                }
                int n = (int) Math.min(length, size - position);
                return c.readInPlace(position, n, vector) ? n : -1;
            } catch (DiskException e) {
                // The disk shrank between the size check and the read: answer for the new size.
                if (e.error() != DiskError.ILLEGAL_BLOCK || attempt >= 3) {
                    throw e;
                }
            } finally {
                disk.exit(t);
            }
        }
    }

    private int readOnce(DiskChain chain, long position, Object base, long offset, int length) throws DiskException {
        long size = chain.sectorCount() * sectorSize;
        if (position >= size || length == 0) {
            return 0;
        }
        int n = (int) Math.min(length, size - position);
        long pos = position;
        int left = n;
        int head = (int) (pos & sectorMask);
        if (head != 0) {
            int part = Math.min(left, sectorSize - head);
            byte[] s = scratch();
            chain.read(s, NativeMemory.BYTE_ARRAY_BASE, pos / sectorSize, 1);
            NativeMemory.copy(s, NativeMemory.BYTE_ARRAY_BASE + head, base, offset, part);
            pos += part;
            offset += part;
            left -= part;
        }
        int whole = left & ~(int) sectorMask;
        if (whole > 0) {
            chain.read(base, offset, pos / sectorSize, whole / sectorSize);
            pos += whole;
            offset += whole;
            left -= whole;
        }
        if (left > 0) {
            byte[] s = scratch();
            chain.read(s, NativeMemory.BYTE_ARRAY_BASE, pos / sectorSize, 1);
            NativeMemory.copy(s, NativeMemory.BYTE_ARRAY_BASE, base, offset, left);
        }
        return n;
    }

    /**
     * Writes {@code length} bytes from {@code (base, offset)} at {@code position}. A write that
     * reaches past the end first grows the disk to the next whole sector, like a sparse file.
     *
     * @return {@code length}
     */
    public int write(long position, Object base, long offset, int length) throws DiskException {
        checkRequest(position, length);
        if (length == 0) {
            return 0;
        }
        long end = position + length;
        if (end > SectorRange.MAX_DISK_BYTES) {
            throw new DiskException(DiskError.TOO_LARGE, "write at " + position + " of " + length
                    + " bytes ends past the largest disk of " + SectorRange.MAX_DISK_BYTES + " bytes");
        }
        if (end <= disk.sizeBytes()) {
            long token = locks.lock(position, length);
            int t = disk.enter();
            try {
                DiskChain c = disk.current();
                if (end <= c.sectorCount() * sectorSize) {
                    writeLocked(c, position, base, offset, length);
                    return length;
                }
            } finally {
                disk.exit(t);
                locks.unlock(token);
            }
        }
        locks.lockAll();
        int t = disk.enter();
        try {
            DiskChain c = disk.current();
            long size = c.sectorCount() * sectorSize;
            if (end <= size) {
                writeLocked(c, position, base, offset, length);
                return length;
            }
            c.resize(roundUp(end) / sectorSize);
            try {
                writeLocked(c, position, base, offset, length);
            } catch (DiskException | RuntimeException e) {
                // A failed write changes nothing, not even the size it grew to.
                c.resize(size / sectorSize);
                throw e;
            }
            return length;
        } finally {
            disk.exit(t);
            locks.unlockAll();
        }
    }

    private void writeLocked(DiskChain chain, long position, Object base, long offset, int length) throws DiskException {
        if (((position | length) & sectorMask) == 0) {
            chain.write(base, offset, position / sectorSize, length / sectorSize, false);
            return;
        }
        byte[] s = scratch();
        long pos = position;
        int left = length;
        while (left > 0) {
            long alignedStart = pos & ~sectorMask;
            int head = (int) (pos - alignedStart);
            int part = Math.min(left, ATOMIC_BYTES);
            long alignedEnd = roundUp(pos + part);
            int span = (int) (alignedEnd - alignedStart);
            long scratchBase = NativeMemory.BYTE_ARRAY_BASE;
            if (head != 0) {
                chain.read(s, scratchBase, alignedStart / sectorSize, 1);
            }
            int tail = (int) (alignedEnd - (pos + part));
            if (tail != 0 && (head == 0 || span > sectorSize)) {
                chain.read(s, scratchBase + span - sectorSize, alignedEnd / sectorSize - 1, 1);
            }
            NativeMemory.copy(base, offset, s, scratchBase + head, part);
            chain.write(s, scratchBase, alignedStart / sectorSize, span / sectorSize, false);
            pos += part;
            offset += part;
            left -= part;
        }
    }

    /**
     * Makes {@code [position, position + length)} read as zeros (punch hole, zero range): whole
     * sectors are unmapped and give their memory back, partial sectors are zeroed in place. The
     * range is clipped at the end of the disk.
     */
    public void unmap(long position, long length) throws DiskException {
        checkRequest(position, length);
        if (disk.isReadOnly()) {
            throw new DiskException(DiskError.READ_ONLY, "the disk is read-only");
        }
        long token = locks.lock(position, length);
        int t = disk.enter();
        try {
            DiskChain c = disk.current();
            long end = Math.min(position + length, c.sectorCount() * sectorSize);
            if (position >= end) {
                return;
            }
            long firstWhole = roundUp(position);
            long lastWhole = end & ~sectorMask;
            if (firstWhole > lastWhole) {
                // Within one sector.
                zeroPartial(c, position, end);
                return;
            }
            // A head, a tail, or both (two neighbouring partial sectors when no whole one lies between).
            if (position < firstWhole) {
                zeroPartial(c, position, firstWhole);
            }
            if (lastWhole < end) {
                zeroPartial(c, lastWhole, end);
            }
            if (firstWhole < lastWhole) {
                c.unmap(firstWhole / sectorSize, (lastWhole - firstWhole) / sectorSize);
            }
        } finally {
            disk.exit(t);
            locks.unlock(token);
        }
    }

    /** Zeroes bytes {@code [from, to)}, which lie within one sector, by read-modify-write. */
    private void zeroPartial(DiskChain chain, long from, long to) throws DiskException {
        byte[] s = scratch();
        long sectorStart = from & ~sectorMask;
        chain.read(s, NativeMemory.BYTE_ARRAY_BASE, sectorStart / sectorSize, 1);
        NativeMemory.zero(s, NativeMemory.BYTE_ARRAY_BASE + (from - sectorStart), to - from);
        chain.write(s, NativeMemory.BYTE_ARRAY_BASE, sectorStart / sectorSize, 1, false);
    }

    /**
     * Sets the size in bytes, a multiple of the sector size. Shrinking drops the data past the
     * new end; growing later reads zeros there.
     */
    public void resize(long newSize) throws DiskException {
        if (newSize < 0) {
            throw new DiskException(DiskError.INVALID_INPUT, "size " + newSize + " is negative");
        }
        if ((newSize & sectorMask) != 0) {
            throw new DiskException(DiskError.INVALID_INPUT, "size " + newSize
                    + " is not a multiple of the sector size " + sectorSize);
        }
        if (newSize > SectorRange.MAX_DISK_BYTES) {
            throw new DiskException(DiskError.TOO_LARGE, "size " + newSize
                    + " exceeds the largest disk of " + SectorRange.MAX_DISK_BYTES + " bytes");
        }
        locks.lockAll();
        int t = disk.enter();
        try {
            disk.current().resize(newSize / sectorSize);
        } finally {
            disk.exit(t);
            locks.unlockAll();
        }
    }

    /** Grows the disk to at least {@code newSize} bytes, rounded up to a whole sector. */
    public void growTo(long newSize) throws DiskException {
        if (newSize > SectorRange.MAX_DISK_BYTES || newSize < 0) {
            throw new DiskException(newSize < 0 ? DiskError.INVALID_INPUT : DiskError.TOO_LARGE, "size " + newSize
                    + " is outside [0, " + SectorRange.MAX_DISK_BYTES + "]");
        }
        locks.lockAll();
        int t = disk.enter();
        try {
            DiskChain c = disk.current();
            if (c.sectorCount() * sectorSize < newSize) {
                c.resize(roundUp(newSize) / sectorSize);
            }
        } finally {
            disk.exit(t);
            locks.unlockAll();
        }
    }

    public void flush() throws DiskException {
        disk.flush();
    }

    private static void checkRequest(long position, long length) throws DiskException {
        if (position < 0 || length < 0 || length > Long.MAX_VALUE - position) {
            throw new DiskException(DiskError.ILLEGAL_BLOCK, "byte range [" + position + ", +" + length + ") is invalid");
        }
    }

    private long roundUp(long bytes) {
        return (bytes + sectorMask) & ~sectorMask;
    }

    private static byte[] scratch() {
        byte[] s = SCRATCH.get();
        if (s == null) {
            s = new byte[SCRATCH_BYTES];
            SCRATCH.set(s);
        }
        return s;
    }
}

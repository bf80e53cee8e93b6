package io.ramdiskfs.disk.ram;

import io.ramdiskfs.disk.SectorRun;

/**
 * The state of one chunk of a {@link RamLayer}: per sector, absent (present bit clear), zero
 * (present, data bit clear) or data (both set), and the native memory holding the data sectors.
 * Memory exists exactly while at least one sector has data. Guarded by the layer's stripe lock of
 * this chunk.
 *
 * <p>Every reader of the states (read, read in place, SEEK_DATA) classifies sectors with
 * {@link #state} and {@link #runEnd}, and every change that takes sectors away (unmap, drop,
 * shrink, a write of zeros) goes through {@link #drop}: one classifier and one drop routine, so
 * what SEEK_DATA says and what a read returns cannot drift apart.
 */
final class Chunk {
    /**
     * A chunk whose every sector is present and zero, shared by all layers and never changed:
     * unmapping a whole chunk over lower data costs no allocation.
     */
    static final Chunk ALL_ZERO = new Chunk(0);

    /** Native address of the chunk's memory, or 0 when no sector holds data. */
    long address;
    final long[] present;
    final long[] data;
    /** Sectors in the chunk (0 for {@link #ALL_ZERO}, which serves every size). */
    final int sectors;
    /** Number of data bits set. */
    int dataSectors;

    Chunk(int sectors) {
        int words = (sectors + 63) >>> 6;
        this.sectors = sectors;
        present = new long[words];
        data = new long[words];
    }

    /** Sector {@code i}'s state: {@link SectorRun#DATA}, {@link SectorRun#ZERO} or {@link SectorRun#ABSENT}. */
    int state(int i) {
        if (this == ALL_ZERO) {
            return SectorRun.ZERO;
        }
        if (dataSectors == sectors || Bits.get(data, i)) {
            // A full chunk (the steady state of a written disk) answers without its bitmaps.
            return SectorRun.DATA;
        }
        return Bits.get(present, i) ? SectorRun.ZERO : SectorRun.ABSENT;
    }

    /** The end of the run of sectors from {@code i} in {@code state} (sector {@code i}'s), at most {@code to}. */
    int runEnd(int state, int i, int to) {
        if (this == ALL_ZERO || (state == SectorRun.DATA && dataSectors == sectors)) {
            return to;
        }
        return switch (state) {
            case SectorRun.DATA -> Bits.next(data, i, to, false);
            case SectorRun.ZERO -> Math.min(Bits.next(present, i, to, false), Bits.next(data, i, to, true));
            default -> Bits.next(present, i, to, true);
        };
    }

    /**
     * Sectors {@code [from, keep)} become zero and {@code [keep, to)} absent, whatever they were;
     * the caller frees the memory once {@link #dataSectors} is 0. Not for {@link #ALL_ZERO}.
     */
    void drop(int from, int keep, int to) {
        dataSectors -= Bits.count(data, from, to);
        Bits.clearRange(data, from, to);
        Bits.setRange(present, from, keep);
        Bits.clearRange(present, keep, to);
    }
}

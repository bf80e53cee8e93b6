package io.ramdiskfs.disk.ram;

/**
 * The state of one chunk of a {@link RamLayer}: per sector, absent (present bit clear), zero
 * (present, data bit clear) or data (both set), and the native memory holding the data sectors.
 * Memory exists exactly while at least one sector has data. Guarded by the layer's stripe lock of
 * this chunk.
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
    /** Number of data bits set. */
    int dataSectors;

    Chunk(int sectors) {
        int words = (sectors + 63) >>> 6;
        present = new long[words];
        data = new long[words];
    }
}

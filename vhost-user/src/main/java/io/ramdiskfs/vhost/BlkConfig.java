package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.NativeMemory;

/**
 * The virtio-blk configuration space a GET_CONFIG reads (struct virtio_blk_config, 60 bytes of it,
 * little-endian), built from the disk as it is now, so a resize shows in the next read.
 */
public final class BlkConfig {
    public static final int BYTES = 60;
    static final int CAPACITY_AT = 0;
    static final int SIZE_MAX_AT = 8;
    static final int SEG_MAX_AT = 12;
    static final int BLK_SIZE_AT = 20;
    static final int NUM_QUEUES_AT = 34;
    static final int MAX_DISCARD_SECTORS_AT = 36;
    static final int MAX_DISCARD_SEG_AT = 40;
    static final int DISCARD_SECTOR_ALIGNMENT_AT = 44;
    static final int MAX_WRITE_ZEROES_SECTORS_AT = 48;
    static final int MAX_WRITE_ZEROES_SEG_AT = 52;
    static final int WRITE_ZEROES_MAY_UNMAP_AT = 56;

    private BlkConfig() {}

    /** Writes the whole configuration to {@code [to, to + BYTES)}. */
    public static void write(long to, long sizeBytes, int blockSize, int queues) {
        NativeMemory.zero(null, to, BYTES);
        NativeMemory.putLong(to + CAPACITY_AT, sizeBytes >>> BlkProtocol.SECTOR_SHIFT);
        NativeMemory.putInt(to + SIZE_MAX_AT, BlkProtocol.SIZE_MAX);
        NativeMemory.putInt(to + SEG_MAX_AT, BlkProtocol.SEG_MAX);
        NativeMemory.putInt(to + BLK_SIZE_AT, blockSize);
        NativeMemory.putShort(to + NUM_QUEUES_AT, (short) queues);
        int alignment = Math.max(1, blockSize >> BlkProtocol.SECTOR_SHIFT);
        NativeMemory.putInt(to + MAX_DISCARD_SECTORS_AT, BlkProtocol.MAX_DISCARD_SECTORS);
        NativeMemory.putInt(to + MAX_DISCARD_SEG_AT, BlkProtocol.MAX_DISCARD_SEGMENTS);
        NativeMemory.putInt(to + DISCARD_SECTOR_ALIGNMENT_AT, alignment);
        NativeMemory.putInt(to + MAX_WRITE_ZEROES_SECTORS_AT, BlkProtocol.MAX_DISCARD_SECTORS);
        NativeMemory.putInt(to + MAX_WRITE_ZEROES_SEG_AT, BlkProtocol.MAX_DISCARD_SEGMENTS);
        NativeMemory.putByte(to + WRITE_ZEROES_MAY_UNMAP_AT, (byte) 1);
    }
}

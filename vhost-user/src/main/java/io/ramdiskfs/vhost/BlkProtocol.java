package io.ramdiskfs.vhost;

/** virtio-blk's request types, status codes and limits (VIRTIO 1.2 §5.2.6, Linux {@code virtio_blk.h}). */
public final class BlkProtocol {
    private BlkProtocol() {}

    public static final int T_IN = 0;
    public static final int T_OUT = 1;
    public static final int T_FLUSH = 4;
    public static final int T_GET_ID = 8;
    public static final int T_DISCARD = 11;
    public static final int T_WRITE_ZEROES = 13;

    public static final byte S_OK = 0;
    public static final byte S_IOERR = 1;
    public static final byte S_UNSUPP = 2;

    /** struct virtio_blk_outhdr: type le32 @0, ioprio le32 @4, sector le64 @8. */
    public static final int HEADER_BYTES = 16;
    /** struct virtio_blk_discard_write_zeroes: sector le64 @0, num_sectors le32 @8, flags le32 @12. */
    public static final int SEGMENT_BYTES = 16;
    public static final int SEGMENT_FLAG_UNMAP = 1;
    /** Request sectors are 512 bytes whatever the block size (qsd bug e44362ce31 was forgetting it). */
    public static final int SECTOR_SHIFT = 9;
    public static final int SECTOR_BYTES = 1 << SECTOR_SHIFT;
    /** GET_ID's answer is 20 bytes, NUL-padded. */
    public static final int ID_BYTES = 20;

    /** Largest single buffer (size_max) and buffers per request (seg_max, queue 128 less header and status). */
    public static final int SIZE_MAX = 1 << 20;
    public static final int SEG_MAX = 126;
    /** The most sectors one discard or write-zeroes segment may cover (1 GiB), and one segment per request. */
    public static final int MAX_DISCARD_SECTORS = 1 << 21;
    public static final int MAX_DISCARD_SEGMENTS = 1;
}

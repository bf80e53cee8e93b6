package io.ramdiskfs.vhost;

/** Virtio feature bits of a block device (VIRTIO 1.2 §5.2.3, §6) and vhost-user's own bit 30. */
public final class VirtioFeatures {
    private VirtioFeatures() {}

    public static final long BLK_SIZE_MAX = 1L << 1;
    public static final long BLK_SEG_MAX = 1L << 2;
    public static final long BLK_RO = 1L << 5;
    public static final long BLK_BLK_SIZE = 1L << 6;
    public static final long BLK_FLUSH = 1L << 9;
    public static final long BLK_MQ = 1L << 12;
    public static final long BLK_DISCARD = 1L << 13;
    public static final long BLK_WRITE_ZEROES = 1L << 14;
    public static final long RING_INDIRECT_DESC = 1L << 28;
    public static final long RING_EVENT_IDX = 1L << 29;
    /** Not a virtio bit: says the back-end speaks GET/SET_PROTOCOL_FEATURES; never reaches the guest. */
    public static final long VHOST_USER_PROTOCOL_FEATURES = 1L << 30;
    public static final long VERSION_1 = 1L << 32;

    /** What a block device of this door offers; {@link #BLK_RO} is added for a read-only one. */
    public static final long OFFERED = VERSION_1 | RING_INDIRECT_DESC | RING_EVENT_IDX | VHOST_USER_PROTOCOL_FEATURES
            | BLK_SIZE_MAX | BLK_SEG_MAX | BLK_BLK_SIZE | BLK_FLUSH | BLK_MQ | BLK_DISCARD | BLK_WRITE_ZEROES;
}

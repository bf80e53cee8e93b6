package io.ramdiskfs.vhost;

/**
 * The vhost-user front-end requests this back-end understands, by their numbers on the wire
 * (qemu 7.2 {@code hw/virtio/vhost-user.c} enum VhostUserRequest), and the header flags.
 */
public final class VhostUserRequest {
    private VhostUserRequest() {}

    public static final int GET_FEATURES = 1;
    public static final int SET_FEATURES = 2;
    public static final int SET_OWNER = 3;
    public static final int RESET_OWNER = 4;
    public static final int SET_MEM_TABLE = 5;
    public static final int SET_LOG_BASE = 6;
    public static final int SET_LOG_FD = 7;
    public static final int SET_VRING_NUM = 8;
    public static final int SET_VRING_ADDR = 9;
    public static final int SET_VRING_BASE = 10;
    public static final int GET_VRING_BASE = 11;
    public static final int SET_VRING_KICK = 12;
    public static final int SET_VRING_CALL = 13;
    public static final int SET_VRING_ERR = 14;
    public static final int GET_PROTOCOL_FEATURES = 15;
    public static final int SET_PROTOCOL_FEATURES = 16;
    public static final int GET_QUEUE_NUM = 17;
    public static final int SET_VRING_ENABLE = 18;
    /** qemu's VHOST_USER_SET_SLAVE_REQ_FD: the descriptor on which the back end sends its own requests. */
    public static final int SET_BACKEND_REQ_FD = 21;
    public static final int GET_CONFIG = 24;
    public static final int SET_CONFIG = 25;

    /** The header: request u32, flags u32, payload size u32. */
    public static final int HEADER_BYTES = 12;
    /** The largest payload accepted (rust-vmm's cap; the largest real one, a memory table of 8, is 264). */
    public static final int MAX_PAYLOAD = 4096;
    public static final int VERSION = 0x1;
    public static final int VERSION_MASK = 0x3;
    public static final int FLAG_REPLY = 0x4;
    public static final int FLAG_NEED_REPLY = 0x8;
    /** Vring index and no-fd bit of SET_VRING_KICK/CALL/ERR's u64. */
    public static final long VRING_INDEX_MASK = 0xff;
    public static final long VRING_NOFD = 0x100;

    // protocol features (GET_PROTOCOL_FEATURES bits)
    public static final long PROTOCOL_MQ = 1L << 0;
    public static final long PROTOCOL_REPLY_ACK = 1L << 3;
    /** qemu's SLAVE_REQ: the back end may send requests (here: a configuration change) on a channel of its own. */
    public static final long PROTOCOL_BACKEND_REQ = 1L << 5;
    public static final long PROTOCOL_CONFIG = 1L << 9;

    // requests the back end sends on the SET_BACKEND_REQ_FD channel
    /** VHOST_USER_BACKEND_CONFIG_CHANGE_MSG: the device configuration changed; qemu reads it again (GET_CONFIG). */
    public static final int BACKEND_CONFIG_CHANGE = 2;

    public static String name(int request) {
        return switch (request) {
            case GET_FEATURES -> "GET_FEATURES";
            case SET_FEATURES -> "SET_FEATURES";
            case SET_OWNER -> "SET_OWNER";
            case RESET_OWNER -> "RESET_OWNER";
            case SET_MEM_TABLE -> "SET_MEM_TABLE";
            case SET_LOG_BASE -> "SET_LOG_BASE";
            case SET_LOG_FD -> "SET_LOG_FD";
            case SET_VRING_NUM -> "SET_VRING_NUM";
            case SET_BACKEND_REQ_FD -> "SET_BACKEND_REQ_FD";
            case SET_VRING_ADDR -> "SET_VRING_ADDR";
            case SET_VRING_BASE -> "SET_VRING_BASE";
            case GET_VRING_BASE -> "GET_VRING_BASE";
            case SET_VRING_KICK -> "SET_VRING_KICK";
            case SET_VRING_CALL -> "SET_VRING_CALL";
            case SET_VRING_ERR -> "SET_VRING_ERR";
            case GET_PROTOCOL_FEATURES -> "GET_PROTOCOL_FEATURES";
            case SET_PROTOCOL_FEATURES -> "SET_PROTOCOL_FEATURES";
            case GET_QUEUE_NUM -> "GET_QUEUE_NUM";
            case SET_VRING_ENABLE -> "SET_VRING_ENABLE";
            case GET_CONFIG -> "GET_CONFIG";
            case SET_CONFIG -> "SET_CONFIG";
            default -> "request " + request;
        };
    }
}

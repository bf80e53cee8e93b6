package io.ramdiskfs.disk;

/** A layer stack that cannot form a disk; names the layer (0 = top) and the reason. */
public final class InvalidLayeredDiskException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Why a stack was refused. */
    public enum Reason {
        NO_LAYERS,
        ATTACH_FAILED,
        INVALID_SECTOR_SIZE,
        MISMATCHED_SECTOR_SIZE,
        USELESS_WRITE_THROUGH,
        READ_CACHE_NOT_SUPPORTED,
        MULTIPLE_READ_CACHES,
        READ_ONLY_LAYER_IN_WRITE_PATH
    }

    private final int layerIndex;
    private final Reason reason;

    public InvalidLayeredDiskException(int layerIndex, Reason reason, String detail) {
        this(layerIndex, reason, detail, null);
    }

    public InvalidLayeredDiskException(int layerIndex, Reason reason, String detail, Throwable cause) {
        super("layer " + layerIndex + ": " + reason.name().toLowerCase().replace('_', ' ') + ": " + detail, cause);
        this.layerIndex = layerIndex;
        this.reason = reason;
    }

    public int layerIndex() {
        return layerIndex;
    }

    public Reason reason() {
        return reason;
    }
}

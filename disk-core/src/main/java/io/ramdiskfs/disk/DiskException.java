package io.ramdiskfs.disk;

/**
 * A failed disk operation. Checked, because every caller on the I/O path must turn it into an
 * answer (an errno, a short read) rather than let it escape. The message names the offending
 * numbers.
 */
public final class DiskException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DiskError error;

    public DiskException(DiskError error, String message) {
        super(message);
        this.error = error;
    }

    public DiskException(DiskError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public DiskError error() {
        return error;
    }

    public static DiskException illegalBlock(long sector, long count, long sectorCount) {
        return new DiskException(DiskError.ILLEGAL_BLOCK, "sectors [" + sector + ", +" + count
                + ") out of range for a disk of " + sectorCount + " sectors");
    }

    @Override
    public String toString() {
        return "DiskException(" + error + "): " + getMessage();
    }
}

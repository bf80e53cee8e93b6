package io.ramdiskfs.disks;

/** A filesystem operation refused with an errno; the message names the offending value. */
public final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public FsException(Errno errno, String message) {
        super(message);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }

    @Override
    public String toString() {
        return errno + ": " + getMessage();
    }
}

package io.ramdiskfs;

import java.io.IOException;

/** A mount or unmount that could not be done; the message is one line for a person. */
public final class MountException extends IOException {
    private static final long serialVersionUID = 1L;

    public MountException(String message) {
        super(message);
    }

    public MountException(String message, Throwable cause) {
        super(message, cause);
    }
}

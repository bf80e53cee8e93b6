package io.ramdiskfs.cli;

/** A bad command line: the message is one line for a person, naming the offending text. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}

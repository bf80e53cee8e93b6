package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import io.ramdiskfs.disk.DiskException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failure becomes an errno. Expected refusals (a bad offset, no space, a
 * read-only disk) are logged at debug; anything unexpected becomes {@code EIO} and is logged as a
 * warning with the operation, path, offset and length, so that no exception ever reaches libfuse.
 */
public final class ErrnoMapper {
    private static final Logger log = LoggerFactory.getLogger(ErrnoMapper.class);

    private ErrnoMapper() {}

    /** The errno for a failure. */
    public static Errno errno(Throwable t) {
        if (t instanceof FsException f) {
            return f.errno();
        }
        if (t instanceof DiskException d) {
            return switch (d.error()) {
                case ILLEGAL_BLOCK, INVALID_INPUT -> Errno.EINVAL;
                case NO_SPACE -> Errno.ENOSPC;
                case READ_ONLY -> Errno.EROFS;
                case TOO_LARGE -> Errno.EFBIG;
                case UNSUPPORTED -> Errno.EOPNOTSUPP;
                case IO -> Errno.EIO;
            };
        }
        return Errno.EIO;
    }

    /** Maps and logs a failure of {@code op}; returns the negative errno for libfuse. */
    public static int fail(String op, String path, long offset, long length, Throwable t) {
        Errno e = errno(t);
        if (e == Errno.EIO) {
            log.warn("{} {} offset {} length {} failed: {}", op, path, offset, length, t.toString(), t);
        } else if (log.isDebugEnabled()) {
            log.debug("{} {} offset {} length {}: {} ({})", op, path, offset, length, e, t.getMessage());
        }
        return -e.code();
    }
}

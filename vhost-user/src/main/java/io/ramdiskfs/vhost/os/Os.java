package io.ramdiskfs.vhost.os;

import java.io.IOException;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** The loaded {@link LibC} and its errno. */
public final class Os {
    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private Os() {}

    public static LibC libc() {
        return Holder.LIBC;
    }

    /** The errno of this thread's last {@link LibC} call. */
    public static int errno() {
        return LastError.getLastError(Holder.RUNTIME);
    }

    /** An exception naming the failed call and its errno. */
    public static IOException failure(String call) {
        return new IOException(call + " failed: errno " + errno());
    }

    /** Closes {@code fd} when it is one (&gt;= 0); errors are of no use to the caller here. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            libc().close(fd);
        }
    }
}

package io.ramdiskfs.fuse.jnr;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The libc calls the FUSE glue makes with raw addresses (loaded once, shared). */
public interface Libc {
    /** {@code O_RDONLY | O_CLOEXEC}. */
    int O_RDONLY_CLOEXEC = 0x80000;

    @intptr_t
    long malloc(@size_t long size);

    void free(@intptr_t long address);

    @SaveError
    int open(String path, int flags);

    int close(int fd);

    @SaveError
    @ssize_t
    long writev(int fd, @intptr_t long iov, int count);

    static Libc get() {
        return Holder.LIBC;
    }

    /** Lazy, so merely loading the class never touches native code. */
    final class Holder {
        static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");

        private Holder() {}
    }
}

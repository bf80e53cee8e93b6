package io.ramdiskfs.fuse.jnr;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls the FUSE glue makes (loaded once, shared). Addresses are raw {@code long}s,
 * except for {@code mmap} and {@code madvise}, which take {@code Pointer}s: jnr-ffi mangles raw
 * addresses there.
 */
public interface Libc {
    /** {@code O_RDONLY | O_CLOEXEC}. */
    int O_RDONLY_CLOEXEC = 0x80000;
    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_PRIVATE = 0x02;
    int MAP_ANONYMOUS = 0x20;
    int MAP_NORESERVE = 0x4000;
    int MADV_DONTNEED = 4;
    int MADV_POPULATE_WRITE = 23;

    @intptr_t
    long malloc(@size_t long size);

    void free(@intptr_t long address);

    Pointer mmap(Pointer addr, @size_t long length, int prot, int flags, int fd, @off_t long offset);

    int madvise(Pointer addr, @size_t long length, int advice);

    int munmap(Pointer addr, @size_t long length);

    @SaveError
    int open(String path, int flags);

    int close(int fd);

    int SEEK_DATA = 3;
    int SEEK_HOLE = 4;

    @SaveError
    @off_t
    long lseek(int fd, @off_t long offset, int whence);

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

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
    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;
    /** {@code O_TMPFILE}, which differs between architectures ({@link OpenFlags}). */
    int O_TMPFILE = OpenFlags.O_TMPFILE;
    int FALLOC_FL_KEEP_SIZE = 1;
    int FALLOC_FL_PUNCH_HOLE = 2;
    int AT_EMPTY_PATH = 0x1000;
    /** {@code STATX_SIZE | STATX_BLOCKS | STATX_MTIME | STATX_CTIME}. */
    int STATX_SIZE_BLOCKS_TIMES = 0x200 | 0x400 | 0x40 | 0x80;
    // struct statx (256 bytes, the same on every architecture).
    int STATX_BYTES = 256;
    int STATX_SIZE_AT = 40;
    int STATX_BLOCKS_AT = 48;
    int STATX_CTIME_AT = 96;
    int STATX_MTIME_AT = 112;

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

    @SaveError
    @ssize_t
    long pread(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @SaveError
    @ssize_t
    long pwrite(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @SaveError
    int ftruncate(int fd, @off_t long length);

    @SaveError
    int fallocate(int fd, int mode, @off_t long offset, @off_t long length);

    @SaveError
    int statx(int dirfd, String path, int flags, int mask, @intptr_t long buf);

    /** struct statfs (120 bytes on x86-64): f_bsize@8, f_blocks@16, f_bfree@24. */
    @SaveError
    int fstatfs(int fd, @intptr_t long buf);

    int STATFS_BYTES = 120;
    int STATFS_BSIZE_AT = 8;
    int STATFS_BLOCKS_AT = 16;
    int STATFS_BFREE_AT = 24;

    @SaveError
    int ioctl(int fd, long request, @intptr_t long arg);

    @SaveError
    int openat(int dirfd, String path, int flags, int mode);

    @SaveError
    int memfd_create(String name, int flags);

    static Libc get() {
        return Holder.LIBC;
    }

    /** Lazy, so merely loading the class never touches native code. */
    final class Holder {
        static final Libc LIBC = LibraryLoader.create(Libc.class).failImmediately().load("c");

        private Holder() {}
    }
}

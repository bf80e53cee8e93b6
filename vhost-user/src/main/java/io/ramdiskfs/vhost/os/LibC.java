package io.ramdiskfs.vhost.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls of the vhost-user door. Buffers are raw native addresses ({@code long}), kept per
 * connection or per queue, so no call allocates; {@code mmap}/{@code munmap} take {@code Pointer}s
 * because jnr-ffi mangles raw addresses there (as fuse-mount's Libc notes).
 */
public interface LibC {
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, byte[] address, int length);

    @SaveError
    int listen(int fd, int backlog);

    @SaveError
    int accept4(int fd, @intptr_t long address, @intptr_t long length, int flags);

    @SaveError
    int shutdown(int fd, int how);

    @SaveError
    int getsockopt(int fd, int level, int name, @intptr_t long value, @intptr_t long length);

    @SaveError
    @ssize_t
    long recvmsg(int fd, @intptr_t long msghdr, int flags);

    @SaveError
    @ssize_t
    long sendmsg(int fd, @intptr_t long msghdr, int flags);

    @SaveError
    @ssize_t
    long read(int fd, @intptr_t long buffer, @size_t long count);

    @SaveError
    @ssize_t
    long write(int fd, @intptr_t long buffer, @size_t long count);

    @SaveError
    int poll(@intptr_t long fds, @size_t long count, int timeoutMillis);

    @SaveError
    int eventfd(int initial, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    Pointer mmap(Pointer address, @size_t long length, int prot, int flags, int fd, @off_t long offset);

    @SaveError
    int munmap(Pointer address, @size_t long length);

    @SaveError
    int chmod(String path, int mode);

    @SaveError
    int chown(String path, int uid, int gid);

    @SaveError
    int unlink(String path);
}

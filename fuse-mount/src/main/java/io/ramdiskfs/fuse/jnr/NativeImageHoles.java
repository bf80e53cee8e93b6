package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.image.ImageHoles;
import java.io.IOException;
import java.nio.file.Path;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;

/**
 * An image's holes from {@code lseek(SEEK_DATA / SEEK_HOLE)} on a descriptor of its own (Java
 * cannot ask). A file system without SEEK_DATA answers as if the file were all data, which is
 * what the kernel does for it too.
 */
public final class NativeImageHoles implements ImageHoles {
    private static final int ENXIO = 6;
    private final Libc libc = Libc.get();
    private final Path path;
    private final long size;
    private final int fd;
    private volatile boolean closed;

    private NativeImageHoles(Path path, long size, int fd) {
        this.path = path;
        this.size = size;
        this.fd = fd;
    }

    /** The finder the mount uses. */
    public static final ImageHoles.Finder FINDER = NativeImageHoles::open;

    static ImageHoles open(Path image, long size) throws IOException {
        Libc libc = Libc.get();
        int fd = libc.open(image.toString(), Libc.O_RDONLY_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open " + image + " (errno " + LastError.getLastError(Runtime.getSystemRuntime()) + ")");
        }
        return new NativeImageHoles(image, size, fd);
    }

    @Override
    public long nextData(long position) throws IOException {
        return seek(position, Libc.SEEK_DATA, -1);
    }

    @Override
    public long nextHole(long position) throws IOException {
        return seek(position, Libc.SEEK_HOLE, size);
    }

    private long seek(long position, int whence, long atEnd) throws IOException {
        if (position >= size) {
            return atEnd;
        }
        if (closed) {
            throw new IOException("holes of " + path + " asked after close");
        }
        long r = libc.lseek(fd, position, whence);
        if (r >= 0) {
            return Math.min(r, size);
        }
        int errno = LastError.getLastError(Runtime.getSystemRuntime());
        if (errno == ENXIO) {
            return atEnd;
        }
        throw new IOException("lseek " + path + " at " + position + ": errno " + errno);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
        }
    }
}

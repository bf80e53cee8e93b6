package io.ramdiskfs.disk.image;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where an image file holds data and where it has holes: {@code lseek(SEEK_DATA / SEEK_HOLE)} on
 * the image. Java has no SEEK_DATA, so disk-core only names the question; the mount answers it
 * through libc ({@code io.ramdiskfs.fuse.jnr.NativeImageHoles}), and {@link #ALL_DATA} answers
 * "data everywhere" where nothing better is known (a block device, a file system without
 * SEEK_DATA, a unit test). Claiming data is never wrong, only slower for a copy.
 */
public interface ImageHoles extends AutoCloseable {
    /** The first byte at or after {@code position} that holds data, or -1 when none does before the end. */
    long nextData(long position) throws IOException;

    /** The first byte at or after {@code position} in a hole; the end of the image counts as one. */
    long nextHole(long position) throws IOException;

    @Override
    void close();

    /** Opens the holes view of one image of {@code size} bytes. */
    @FunctionalInterface
    interface Finder {
        ImageHoles open(Path image, long size) throws IOException;
    }

    /** Data everywhere. */
    Finder ALL_DATA = ImageHoles::allData;

    static ImageHoles allData(Path image, long size) {
        return new ImageHoles() {
            @Override
            public long nextData(long position) {
                return position < size ? position : -1;
            }

            @Override
            public long nextHole(long position) {
                return size;
            }

            @Override
            public void close() {}
        };
    }
}

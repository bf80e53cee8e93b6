package io.ramdiskfs.disk;

/**
 * Takes a read as runs of the disk's own memory instead of a copy ({@link DiskBytes#readInPlace}):
 * a reader that passes the runs on to the kernel in one {@code writev} moves the data once.
 *
 * <p>The runs stay valid, and no writer, unmap or resize changes them, from the first
 * {@link #data} call until {@link #deliver} returns, and not a moment longer: the layer holds its
 * read locks over exactly that span. So {@code deliver} must not call back into the disk.
 */
public interface ReadVector {
    /** The next {@code length} bytes of the answer sit at native {@code address}. */
    void data(long address, long length);

    /** The next {@code length} bytes of the answer are zeros. */
    void zeros(long length);

    /** Every run is in ({@code bytes} in all): pass them on now, while the memory is held. */
    void deliver(int bytes);

    /**
     * Where the bytes a layer does not hold come from when it reads in place over a lower layer
     * (the image of a memdiff disk). Called while the upper layer holds its locks; must add
     * exactly {@code length} bytes of runs and must not fail.
     */
    interface Below {
        void runs(long position, long length, ReadVector vector);
    }
}

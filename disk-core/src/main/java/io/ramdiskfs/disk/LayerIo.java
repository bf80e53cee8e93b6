package io.ramdiskfs.disk;

/**
 * One layer of a {@link LayeredDisk}: a block store that knows, per sector, whether it holds it.
 *
 * <p><b>Ranges.</b> Every method accepts any {@code long}: a range outside {@code [0,
 * sectorCount())}, a negative value or an overflowing {@code sector + count} fails with
 * {@link DiskError#ILLEGAL_BLOCK}, never with an unchecked exception. The layer checks the range
 * itself, under its own synchronization, because its size may change between a caller's check and
 * the I/O.
 *
 * <p><b>Memory.</b> Data moves through {@code (base, offset)} locations as described in
 * {@link NativeMemory}; a request of {@code count} sectors covers {@code count * sectorSize()}
 * bytes there.
 *
 * <p><b>Threads.</b> Every method may be called from many threads at once.
 */
public interface LayerIo extends LayerSource, AutoCloseable {
    /** A short name of the kind of layer: {@code "ram"}, {@code "file"}. */
    String kind();

    /** What this layer is, for people: a path, a size. */
    String description();

    int sectorSize();

    /** The current number of sectors; may change at any time if the layer can be resized. */
    long sectorCount();

    /** True when writes, unmaps and resizes always fail with {@link DiskError#READ_ONLY}. */
    boolean isReadOnly();

    /**
     * Reads sectors {@code [sector, sector + count)}. Fills every sector this layer holds and
     * marks it in {@code marker}; sectors it does not hold are left untouched and unmarked.
     *
     * <p>When {@code marker} is null this layer is the only one: it must fill every sector,
     * writing zeros where it holds nothing.
     */
    void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException;

    /**
     * Hands bytes {@code [position, position + length)} (inside the layer) to {@code vector} as
     * runs of memory and zeros, then calls {@link ReadVector#deliver} while those runs are still
     * held. Bytes this layer does not hold come from {@code below}, or are zeros when
     * {@code below} is null (the layer is the only one of its disk). False, with nothing handed
     * over, when the layer cannot: the caller then reads with {@link #read}. False by default.
     */
    default boolean readInPlace(long position, int length, ReadVector vector, ReadVector.Below below)
            throws DiskException {
        return false;
    }

    /**
     * This layer's bytes as runs of memory that stay valid and unchanged until the layer is
     * closed (a read-only image, mapped), for a layer above to read in place over it; null when
     * it cannot. Null by default.
     */
    default ReadVector.Below inPlace() {
        return null;
    }

    /** Writes sectors {@code [sector, sector + count)}. On failure nothing was changed. */
    void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException;

    /** True when {@link #writeNoOverwrite} is implemented, which a read cache needs. */
    default boolean supportsWriteNoOverwrite() {
        return false;
    }

    /** Writes only those sectors of the range that this layer does not hold yet. */
    default void writeNoOverwrite(Object base, long offset, long sector, int count) throws DiskException {
        throw new DiskException(DiskError.UNSUPPORTED, kind() + " layer cannot write without overwriting");
    }

    /**
     * Discards {@code [sector, sector + count)}: afterwards the range reads as zeros through this
     * layer. Sectors at or past {@code zeroBelowFrom} are known to be zero in every layer below,
     * so the layer may simply drop them; sectors before it must read zero while the layers below
     * may hold data there.
     */
    void unmap(long sector, long count, long zeroBelowFrom) throws DiskException;

    /** Makes every completed write durable; a no-op for RAM. */
    void flush() throws DiskException;

    /** Sets the sector count. Sectors past a shrink are dropped and read as zeros after a grow. */
    default void resize(long newSectorCount) throws DiskException {
        throw new DiskException(DiskError.UNSUPPORTED, kind() + " layer cannot be resized");
    }

    /**
     * False only when this layer certainly holds none of {@code [sector, sector + count)}, so a
     * read of the range passes through it untouched. True when unsure: the default.
     */
    default boolean holdsAny(long sector, long count) {
        return true;
    }

    /**
     * The state of sector {@code sector} and how far it runs, at most to {@code limit}: for
     * SEEK_DATA / SEEK_HOLE. The answer may be stale by the time the caller acts, as any answer
     * about a file that is being written. By default every sector holds data: a layer that cannot
     * tell claims data, which is never wrong, only slower for a copy.
     */
    default SectorRun run(long sector, long limit, SectorRun out) {
        return out.set(SectorRun.DATA, limit);
    }

    /** Data memory this layer holds right now, in bytes. */
    long committedBytes();

    /**
     * Bytes written to this layer that were zeros and so were stored without memory (a RAM
     * layer's zero state), since it was made; 0 for a layer that stores zeros like any data.
     */
    default long zeroBytesWritten() {
        return 0;
    }

    /** Releases what the layer holds. The layer must not be used afterwards. */
    @Override
    default void close() {}

    /** A layer that exists already is its own source. */
    @Override
    default LayerIo attach(LayerIo below) {
        return this;
    }
}

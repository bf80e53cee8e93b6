package io.ramdiskfs.stats;

/** The I/O counters of one disk since the mount: reads, writes and discards. */
public final class DiskIo {
    private final OpCounter reads = new OpCounter();
    private final OpCounter writes = new OpCounter();
    private final OpCounter discards = new OpCounter();

    public OpCounter reads() {
        return reads;
    }

    public OpCounter writes() {
        return writes;
    }

    public OpCounter discards() {
        return discards;
    }
}

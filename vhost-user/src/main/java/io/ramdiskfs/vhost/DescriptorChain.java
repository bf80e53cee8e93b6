package io.ramdiskfs.vhost;

/**
 * One popped request: its head index and its buffers as host address ranges, device-readable
 * first, then device-writable, each already checked against the memory table and split where a
 * buffer crosses from one region to the next. One instance per queue is reused for every request,
 * so parsing allocates nothing.
 *
 * <p>Two kinds of fault are kept apart. A <em>broken</em> chain (a loop, an index past the table,
 * a nested or malformed indirect table, readable after writable, too many pieces) cannot be
 * walked to its end, so no status byte can be trusted: it is returned to the guest with length 0.
 * A chain with a <em>bad buffer</em> (outside guest memory, or empty) is whole: its request fails
 * with IOERR in its status byte when that byte itself is addressable.
 */
public final class DescriptorChain {
    private final long[] addresses;
    private final int[] lengths;
    int head;
    int count;
    int readableCount;
    long readableBytes;
    long writableBytes;
    boolean broken;
    boolean badBuffer;
    /** Whether the last descriptor walked was writable and wholly addressable (its last byte is the status). */
    boolean lastWritableOk;
    String fault;

    public DescriptorChain(int capacity) {
        this.addresses = new long[capacity];
        this.lengths = new int[capacity];
    }

    void reset(int head) {
        this.head = head;
        count = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
        broken = false;
        badBuffer = false;
        lastWritableOk = false;
        fault = null;
    }

    void breakWith(String why) {
        broken = true;
        fault = why;
    }

    void badBuffer(String why) {
        badBuffer = true;
        if (fault == null) {
            fault = why;
        }
    }

    /** Appends a piece; false when the chain has more pieces than this queue allows. */
    boolean add(long host, int length, boolean writable) {
        if (count == addresses.length) {
            return false;
        }
        addresses[count] = host;
        lengths[count] = length;
        count++;
        if (writable) {
            writableBytes += length;
        } else {
            readableCount++;
            readableBytes += length;
        }
        return true;
    }

    public int head() {
        return head;
    }

    public int count() {
        return count;
    }

    public int readableCount() {
        return readableCount;
    }

    public long address(int i) {
        return addresses[i];
    }

    public int length(int i) {
        return lengths[i];
    }

    public long readableBytes() {
        return readableBytes;
    }

    public long writableBytes() {
        return writableBytes;
    }

    public boolean broken() {
        return broken;
    }

    public boolean hasBadBuffer() {
        return badBuffer;
    }

    /** Why the chain is broken or bad, for the log; null when it is sound. */
    public String fault() {
        return fault;
    }

    /** The host address of the status byte (the last byte of the last, writable, buffer), or 0 when there is none. */
    public long statusAddress() {
        if (broken || !lastWritableOk || count == 0 || count == readableCount) {
            return 0;
        }
        return addresses[count - 1] + lengths[count - 1] - 1;
    }
}

package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.NativeMemory;
import java.util.List;

/**
 * A guest's memory for tests: one native buffer standing in for qemu's memfd region, with a split
 * virtqueue laid out in it the way a driver would, and a bump allocator for request buffers.
 * Guest-physical and qemu-virtual addresses are made up (and differ from the host address), so a
 * translation mistake reads the wrong place or nothing rather than the right bytes by luck.
 */
final class FakeGuest implements AutoCloseable {
    static final long GPA_BASE = 0x4000_0000L;
    static final long QVA_BASE = 0x7f00_0000_0000L;
    static final int DESC_AT = 0;

    /** Bytes of canary on each side of the guest memory: a device write outside it shows there. */
    static final int CANARY = 4096;
    static final byte CANARY_BYTE = (byte) 0xa5;

    final int size;
    final int memBytes;
    final long raw;
    final long host;
    final int availAt;
    final int usedAt;
    /** Where indirect tables go, and request buffers after them. */
    final int indirectArea;
    final int dataArea;
    /** The first descriptor index handed out (a high one makes used-ring ids large numbers). */
    final int firstDesc;
    private int nextDesc;
    private int nextIndirect;
    private int nextData;
    private int availIdx;
    /** Whether buffers are kept apart by 16 bytes of 0xff. */
    boolean gaps;
    /** What headers carry in their reserved/ioprio word. */
    int ioprio;

    /** A buffer of a request: guest address, length, whether the device writes it. */
    record Buf(long gpa, int len, boolean writable) {}

    FakeGuest(int queueSize, int memBytes) {
        this(queueSize, memBytes, 0);
    }

    FakeGuest(int queueSize, int memBytes, int firstDesc) {
        this.firstDesc = firstDesc;
        this.size = queueSize;
        this.memBytes = memBytes;
        this.raw = NativeMemory.allocate(memBytes + 2L * CANARY);
        this.host = raw + CANARY;
        for (int i = 0; i < CANARY; i++) {
            NativeMemory.putByte(raw + i, CANARY_BYTE);
            NativeMemory.putByte(host + memBytes + i, CANARY_BYTE);
        }
        this.availAt = DESC_AT + 16 * queueSize;
        this.usedAt = (availAt + 6 + 2 * queueSize + 3) & ~3;
        this.indirectArea = (usedAt + 6 + 8 * queueSize + 4095) & ~4095;
        this.dataArea = indirectArea + 64 * 1024;
        reset();
    }

    /** Zeroes the memory and forgets every request: a fresh ring at index 0. */
    void reset() {
        fill((byte) 0);
    }

    /**
     * Fills the memory with {@code background} except the words a fresh ring needs at 0 (the avail
     * and used rings' flags and index), and forgets every request.
     */
    void fill(byte background) {
        for (int i = 0; i < memBytes; i++) {
            NativeMemory.putByte(host + i, background);
        }
        NativeMemory.putInt(host + availAt, 0);
        NativeMemory.putInt(host + usedAt, 0);
        nextDesc = firstDesc;
        nextIndirect = indirectArea;
        nextData = dataArea;
        availIdx = 0;
    }

    MemoryTable table() {
        return new MemoryTable(new long[] {GPA_BASE}, new long[] {memBytes}, new long[] {QVA_BASE}, new long[] {host}, List.of());
    }

    SplitQueue queue(boolean eventIdx) throws RingException {
        return new SplitQueue(table(), size, QVA_BASE + DESC_AT, QVA_BASE + availAt, QVA_BASE + usedAt, 0, eventIdx);
    }

    long hostOf(long gpa) {
        return host + (gpa - GPA_BASE);
    }

    /** {@code bytes} of guest memory for a buffer, 16-aligned; filled with {@code fill}. */
    long alloc(int bytes, byte fill) {
        int at = nextData;
        nextData = (nextData + bytes + 15) & ~15;
        if (gaps) {
            // 16 bytes of 0xff after every buffer: no 8 bytes across two buffers read as a small number.
            for (int i = 0; i < 16 && nextData + i < memBytes; i++) {
                NativeMemory.putByte(host + nextData + i, (byte) 0xff);
            }
            nextData += 16;
        }
        if (nextData > memBytes) {
            throw new IllegalStateException("the fake guest's memory is full");
        }
        NativeMemory.zero(null, host + at, bytes);
        for (int i = 0; fill != 0 && i < bytes; i++) {
            NativeMemory.putByte(host + at + i, fill);
        }
        return GPA_BASE + at;
    }

    long alloc(int bytes) {
        return alloc(bytes, (byte) 0);
    }

    void put(long gpa, byte[] data) {
        NativeMemory.copy(data, NativeMemory.BYTE_ARRAY_BASE, null, hostOf(gpa), data.length);
    }

    byte[] get(long gpa, int length) {
        byte[] b = new byte[length];
        NativeMemory.copy(null, hostOf(gpa), b, NativeMemory.BYTE_ARRAY_BASE, length);
        return b;
    }

    static void putDesc(long at, long addr, int len, int flags, int next) {
        NativeMemory.putLong(at, addr);
        NativeMemory.putInt(at + 8, len);
        NativeMemory.putShort(at + 12, (short) flags);
        NativeMemory.putShort(at + 14, (short) next);
    }

    /** Host address of descriptor {@code i} of the queue's own table. */
    long descAt(int i) {
        return host + DESC_AT + 16L * i;
    }

    /**
     * Puts a chain of {@code bufs} in the descriptor table (or, {@code indirect}, in an indirect
     * table that one descriptor points to) and makes it available.
     *
     * @return its head
     */
    int submit(List<Buf> bufs, boolean indirect) {
        int head;
        if (indirect) {
            int tableAt = nextIndirect;
            nextIndirect += 16 * bufs.size();
            for (int k = 0; k < bufs.size(); k++) {
                Buf b = bufs.get(k);
                int flags = (b.writable ? SplitQueue.F_WRITE : 0) | (k + 1 < bufs.size() ? SplitQueue.F_NEXT : 0);
                putDesc(host + tableAt + 16L * k, b.gpa, b.len, flags, k + 1);
            }
            head = takeDesc();
            putDesc(descAt(head), GPA_BASE + tableAt, 16 * bufs.size(), SplitQueue.F_INDIRECT, 0);
        } else {
            int[] idx = new int[bufs.size()];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = takeDesc();
            }
            for (int k = 0; k < idx.length; k++) {
                Buf b = bufs.get(k);
                int flags = (b.writable ? SplitQueue.F_WRITE : 0) | (k + 1 < idx.length ? SplitQueue.F_NEXT : 0);
                putDesc(descAt(idx[k]), b.gpa, b.len, flags, k + 1 < idx.length ? idx[k + 1] : 0);
            }
            head = idx[0];
        }
        makeAvailable(head);
        return head;
    }

    private int takeDesc() {
        if (nextDesc == size) {
            throw new IllegalStateException("the fake guest's descriptor table is full");
        }
        return nextDesc++;
    }

    void makeAvailable(int head) {
        NativeMemory.putShort(host + availAt + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        NativeMemory.putShort(host + availAt + 2, (short) availIdx);
    }

    /** A request header: type, sector; returns its guest address. */
    long header(int type, long sector) {
        long h = alloc(16);
        NativeMemory.putInt(hostOf(h), type);
        NativeMemory.putInt(hostOf(h) + 4, ioprio);
        NativeMemory.putLong(hostOf(h) + 8, sector);
        return h;
    }

    int usedIdx() {
        return NativeMemory.getShort(host + usedAt + 2) & 0xffff;
    }

    int usedId(int i) {
        return NativeMemory.getInt(host + usedAt + 4 + 8L * (i % size));
    }

    int usedLen(int i) {
        return NativeMemory.getInt(host + usedAt + 4 + 8L * (i % size) + 4);
    }

    void setUsedEvent(int value) {
        NativeMemory.putShort(host + availAt + 4 + 2L * size, (short) value);
    }

    int availEvent() {
        return NativeMemory.getShort(host + usedAt + 4 + 8L * size) & 0xffff;
    }

    byte status(long gpa) {
        return NativeMemory.getByte(null, hostOf(gpa));
    }

    /** The offset of the first canary byte that changed, or -1. */
    long canaryDamage() {
        for (int i = 0; i < CANARY; i++) {
            if (NativeMemory.getByte(null, raw + i) != CANARY_BYTE) {
                return i - CANARY;
            }
            if (NativeMemory.getByte(null, host + memBytes + i) != CANARY_BYTE) {
                return memBytes + i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        NativeMemory.free(raw);
    }
}

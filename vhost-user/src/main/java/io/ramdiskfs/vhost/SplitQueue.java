package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.NativeMemory;
import java.lang.invoke.VarHandle;

/**
 * The device side of one split virtqueue (VIRTIO 1.2 §2.7) in guest memory: pops descriptor chains
 * from the avail ring, pushes completions to the used ring, and decides when the guest must be
 * notified. The guest may change any byte of its rings at any time, so every value is read once
 * into a local and checked before it is used, and every address goes through the
 * {@link MemoryTable}. Used by one thread at a time.
 *
 * <p>Ordering follows the kernel's vhost and libvhost-user: an acquire fence after reading the
 * avail index (entries are read only after the guest exposed them), a release fence before
 * publishing the used index (entries are visible first), and full fences where the device reads
 * the guest's notification fields after its own index store, and after re-enabling kicks before
 * the last look at the avail index (the guest could have slipped one in).
 */
public final class SplitQueue {
    static final int DESC_BYTES = 16;
    static final int F_NEXT = 1;
    static final int F_WRITE = 2;
    static final int F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int USED_F_NO_NOTIFY = 1;
    /** The largest queue VIRTIO allows. */
    public static final int MAX_SIZE = 32768;
    /** Entries an indirect table may hold: Windows' storport drivers build 512 + 3, Linux seg_max + 2. */
    static final int MAX_INDIRECT = 1024;

    private final MemoryTable memory;
    private final int size;
    private final int mask;
    private final long desc;
    private final long avail;
    private final long used;
    private final boolean eventIdx;
    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;
    private boolean signalledValid;

    /**
     * @param descQva, availQva, usedQva the rings' addresses in qemu's address space (SET_VRING_ADDR)
     * @param lastAvail the avail index to resume from (SET_VRING_BASE)
     * @throws RingException when the size is not a power of two up to 32768, or a ring is
     *     misaligned or not wholly inside one region of guest memory
     */
    public SplitQueue(MemoryTable memory, int size, long descQva, long availQva, long usedQva, int lastAvail,
            boolean eventIdx) throws RingException {
        if (size <= 0 || size > MAX_SIZE || Integer.bitCount(size) != 1) {
            throw new RingException("queue size " + size + " is not a power of two in [1, " + MAX_SIZE + "]");
        }
        if ((descQva & 15) != 0 || (availQva & 1) != 0 || (usedQva & 3) != 0) {
            throw new RingException("rings at 0x" + Long.toHexString(descQva) + ", 0x" + Long.toHexString(availQva)
                    + ", 0x" + Long.toHexString(usedQva) + " are misaligned (16, 2, 4)");
        }
        this.memory = memory;
        this.size = size;
        this.mask = size - 1;
        this.desc = ring(memory, descQva, (long) DESC_BYTES * size, "descriptor table");
        this.avail = ring(memory, availQva, 6 + 2L * size, "avail ring");
        this.used = ring(memory, usedQva, 6 + 8L * size, "used ring");
        this.eventIdx = eventIdx;
        this.lastAvail = lastAvail & 0xffff;
        // Resume after a reconnect where the guest last saw us: everything below used->idx completed.
        this.usedIdx = NativeMemory.getShort(used + 2) & 0xffff;
    }

    private static long ring(MemoryTable memory, long qva, long bytes, String what) throws RingException {
        long host = memory.userToHost(qva, bytes);
        if (host == 0) {
            throw new RingException(what + " at 0x" + Long.toHexString(qva) + " of " + bytes
                    + " bytes is not inside guest memory");
        }
        return host;
    }

    public int size() {
        return size;
    }

    public int lastAvail() {
        return lastAvail;
    }

    /**
     * Pops the next chain into {@code chain}.
     *
     * @return false when the avail ring holds nothing new
     * @throws RingException when the avail index or a head is impossible
     */
    public boolean pop(DescriptorChain chain) throws RingException {
        int availIdx = NativeMemory.getShort(avail + 2) & 0xffff;
        VarHandle.acquireFence();
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending == 0) {
            return false;
        }
        if (pending > size) {
            throw new RingException("the guest moved the avail index from " + lastAvail + " to " + availIdx
                    + ", more than the " + size + " entries of the ring");
        }
        int head = NativeMemory.getShort(avail + 4 + 2L * (lastAvail & mask)) & 0xffff;
        if (head >= size) {
            throw new RingException("avail entry " + lastAvail + " names head " + head + " of a ring of " + size);
        }
        lastAvail = (lastAvail + 1) & 0xffff;
        if (eventIdx) {
            // avail_event: the guest need not kick for what it adds before we come back for it.
            NativeMemory.putShort(used + 4 + 8L * size, (short) lastAvail);
        }
        walk(chain, head);
        return true;
    }

    private void walk(DescriptorChain chain, int head) {
        chain.reset(head);
        long table = desc;
        int max = size;
        boolean indirect = false;
        int i = head;
        int steps = 0;
        while (true) {
            if (steps++ >= max) {
                chain.breakWith("the chain is longer than its table: a loop");
                return;
            }
            long d = table + (long) DESC_BYTES * i;
            long addr = NativeMemory.getLong(d);
            long len = NativeMemory.getInt(d + 8) & 0xffffffffL;
            int flags = NativeMemory.getShort(d + 12) & 0xffff;
            int next = NativeMemory.getShort(d + 14) & 0xffff;
            if ((flags & F_INDIRECT) != 0) {
                if (indirect) {
                    chain.breakWith("an indirect table inside an indirect table");
                    return;
                }
                if ((flags & F_NEXT) != 0) {
                    chain.breakWith("an indirect descriptor with NEXT");
                    return;
                }
                if (len == 0 || len % DESC_BYTES != 0 || len / DESC_BYTES > MAX_INDIRECT) {
                    chain.breakWith("an indirect table of " + len + " bytes");
                    return;
                }
                long t = memory.guestToHost(addr, len);
                if (t == 0) {
                    chain.breakWith("an indirect table outside guest memory");
                    return;
                }
                table = t;
                max = (int) (len / DESC_BYTES);
                indirect = true;
                i = 0;
                steps = 0;
                continue;
            }
            boolean writable = (flags & F_WRITE) != 0;
            if (!writable && chain.writableBytes() > 0) {
                chain.breakWith("a device-readable buffer after a writable one");
                return;
            }
            if (!addBuffer(chain, addr, len, writable)) {
                return;
            }
            if ((flags & F_NEXT) == 0) {
                return;
            }
            if (next >= max) {
                chain.breakWith("next index " + next + " past a table of " + max);
                return;
            }
            i = next;
        }
    }

    /** Adds one descriptor's buffer, split at region ends; false when the chain broke. */
    private boolean addBuffer(DescriptorChain chain, long addr, long len, boolean writable) {
        chain.lastWritableOk = false;
        if (len == 0) {
            chain.badBuffer("an empty buffer");
            return true;
        }
        long g = addr;
        long left = len;
        while (left > 0) {
            int r = memory.regionOf(g);
            if (r < 0) {
                chain.badBuffer("a buffer outside guest memory");
                return true;
            }
            int piece = (int) Math.min(left, memory.bytesLeft(r, g));
            if (!chain.add(memory.hostOf(r, g), piece, writable)) {
                chain.breakWith("more buffers than the queue allows");
                return false;
            }
            g += piece;
            left -= piece;
        }
        chain.lastWritableOk = writable;
        return true;
    }

    /** Puts a completion in the used ring (visible to the guest only at {@link #publish}). */
    public void push(int head, int length) {
        long e = used + 4 + 8L * (usedIdx & mask);
        NativeMemory.putInt(e, head);
        NativeMemory.putInt(e + 4, length);
        usedIdx = (usedIdx + 1) & 0xffff;
    }

    /**
     * Publishes the completions pushed so far.
     *
     * @return whether the guest wants an interrupt for them
     */
    public boolean publish() {
        VarHandle.releaseFence();
        NativeMemory.putShort(used + 2, (short) usedIdx);
        VarHandle.fullFence();
        if (!eventIdx) {
            return (NativeMemory.getShort(avail) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        int old = signalledUsed;
        boolean valid = signalledValid;
        signalledUsed = usedIdx;
        signalledValid = true;
        if (!valid) {
            return true;
        }
        int usedEvent = NativeMemory.getShort(avail + 4 + 2L * size) & 0xffff;
        // vring_need_event: notify when used_event lies in [old, new).
        return ((usedIdx - usedEvent - 1) & 0xffff) < ((usedIdx - old) & 0xffff);
    }

    /** Tells the guest not to kick while the device drains anyway (without event index). */
    public void suppressKicks() {
        if (!eventIdx) {
            NativeMemory.putShort(used, (short) USED_F_NO_NOTIFY);
        }
    }

    /**
     * Asks for kicks again, then looks once more.
     *
     * @return whether the guest added work meanwhile (then drain again rather than sleep)
     */
    public boolean enableKicksAndRecheck() {
        if (eventIdx) {
            NativeMemory.putShort(used + 4 + 8L * size, (short) lastAvail);
        } else {
            NativeMemory.putShort(used, (short) 0);
        }
        VarHandle.fullFence();
        return (NativeMemory.getShort(avail + 2) & 0xffff) != lastAvail;
    }
}

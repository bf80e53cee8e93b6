package io.ramdiskfs.disk.ram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A sparse radix table of chunks, indexed by chunk number, whose heap follows what it holds: a
 * node of {@link #FANOUT} slots exists only while something below it is stored, and is given
 * back when the last chunk below it is cleared. So an empty petabyte costs one root node, and a
 * 4 KiB write at every gigabyte costs a leaf per gigabyte only until it is punched again.
 *
 * <p><b>Threads.</b> A chunk's slot is read and written under the chunk's stripe lock, but writers
 * of different chunks of one node hold different stripe locks, so nodes are shared between them
 * lock-free. Each node counts its non-empty slots plus in-flight claims ({@code used}); a thread
 * that fills an empty slot first claims the node (count up), which fails once the node is dead
 * (count -1, set by the thread that took the count to 0). A dead node holds nothing, so readers
 * that still see it read empty slots, which is right; a writer that meets it puts a fresh node
 * in its place. The root is never dead; it is replaced only while every stripe is held (resize).
 *
 * <p>Every node's heap is charged to {@link TableHeap} when made and credited when it dies.
 */
final class ChunkTable {
    static final int SHIFT = 9;
    static final int FANOUT = 1 << SHIFT;
    private static final int MASK = FANOUT - 1;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle USED;
    /** No disk has this many chunks (2^63 bytes are 2^47 chunks of 64 KiB). */
    private static final long MAX_END = 1L << 55;

    static {
        try {
            USED = MethodHandles.lookup().findVarHandle(Node.class, "used", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Leaves hold {@link Chunk}s, interior nodes hold {@link Node}s. */
    static final class Node {
        final Object[] slots = new Object[FANOUT];
        /** Non-empty slots plus claims in flight; -1 once dead. */
        volatile int used;
    }

    private Node root;
    /** The shift of the root's slot index: the root covers chunks [0, 2^(rootShift + SHIFT)). */
    private int rootShift;

    ChunkTable(long chunkCount) {
        rootShift = shiftFor(chunkCount);
        root = newNode();
    }

    /** The smallest root shift (a multiple of {@link #SHIFT}) covering {@code chunkCount} chunks. */
    private static int shiftFor(long chunkCount) {
        int shift = 0;
        while (shift + SHIFT < 63 && (chunkCount - 1) >>> (shift + SHIFT) != 0) {
            shift += SHIFT;
        }
        return shift;
    }

    Chunk get(long index) {
        Node n = root;
        int sh = rootShift;
        if (index >>> sh >>> SHIFT != 0) {
            return null;
        }
        for (; sh > 0; sh -= SHIFT) {
            n = (Node) SLOT.getAcquire(n.slots, slot(index, sh));
            if (n == null) {
                return null;
            }
        }
        return (Chunk) n.slots[(int) (index & MASK)];
    }

    /** Stores {@code chunk} (null clears the slot); call under the chunk's stripe lock. */
    void set(long index, Chunk chunk) {
        if (chunk == null) {
            clear(index);
            return;
        }
        int i = (int) (index & MASK);
        while (true) {
            Node leaf = liveLeaf(index);
            if (leaf == null) {
                continue; // a node on the path died while we walked it
            }
            if (leaf.slots[i] != null) {
                leaf.slots[i] = chunk; // a non-empty slot keeps its leaf alive
                return;
            }
            if (claim(leaf)) {
                leaf.slots[i] = chunk;
                return;
            }
        }
    }

    private void clear(long index) {
        Node leaf = existingLeaf(index);
        int i = (int) (index & MASK);
        if (leaf == null || leaf.slots[i] == null) {
            return;
        }
        leaf.slots[i] = null;
        release(leaf, index, 0);
    }

    /** True when no chunk is stored in {@code index}'s leaf (a cheap skip for scans). */
    boolean leafAbsent(long index) {
        return existingLeaf(index) == null;
    }

    /**
     * The first chunk index past the largest empty subtree holding {@code index}, at least the
     * end of its leaf: a scan that found {@link #leafAbsent} may skip to there.
     */
    long absentEnd(long index) {
        int sh = rootShift + SHIFT;
        if (index >>> sh == 0) {
            Node n = root;
            for (sh = rootShift; sh > 0; sh -= SHIFT) {
                n = (Node) SLOT.getAcquire(n.slots, slot(index, sh));
                if (n == null || n.used < 0) {
                    break;
                }
            }
        }
        // Capped far past any disk's last chunk so that callers may shift it into sectors.
        long end = sh >= 55 ? MAX_END : Math.min(MAX_END, ((index >>> sh) + 1) << sh);
        long leafEnd = ((index >>> SHIFT) + 1) << SHIFT;
        return Math.max(end, leafEnd);
    }

    /** Adjusts the root to hold {@code chunkCount} chunks; call with every stripe held. */
    void resize(long chunkCount) {
        int wanted = shiftFor(chunkCount);
        while (rootShift < wanted) {
            // Grow by a level: the old root becomes the first child of a new one.
            Node up = newNode();
            if (root.used > 0) {
                up.slots[0] = root;
                up.used = 1;
            } else {
                TableHeap.credit(TableHeap.NODE_BYTES);
            }
            root = up;
            rootShift += SHIFT;
        }
    }

    /** Gives back the root's heap; the table is empty (every slot cleared) and unused after this. */
    void close() {
        TableHeap.credit(TableHeap.NODE_BYTES);
    }

    private static int slot(long index, int shift) {
        return (int) ((index >>> shift) & MASK);
    }

    /** The leaf on {@code index}'s path, or null when some node on it is absent or dead. */
    private Node existingLeaf(long index) {
        Node n = root;
        int sh = rootShift;
        if (index >>> sh >>> SHIFT != 0) {
            return null;
        }
        for (; sh > 0; sh -= SHIFT) {
            n = (Node) SLOT.getAcquire(n.slots, slot(index, sh));
            if (n == null || n.used < 0) {
                return null;
            }
        }
        return n;
    }

    /** The leaf on {@code index}'s path, made where absent or dead; null to retry (a node died). */
    private Node liveLeaf(long index) {
        Node n = root;
        for (int sh = rootShift; sh > 0; sh -= SHIFT) {
            int i = slot(index, sh);
            Node child = (Node) SLOT.getAcquire(n.slots, i);
            if (child == null || child.used < 0) {
                child = insert(n, index, sh, child);
                if (child == null) {
                    return null;
                }
            }
            n = child;
        }
        return n;
    }

    /**
     * Puts a fresh child in place of {@code expected} (null or dead) in {@code parent}, the node at
     * shift {@code shift} on {@code index}'s path; returns the child now there, or null to retry.
     */
    private Node insert(Node parent, long index, int shift, Node expected) {
        if (!claim(parent)) {
            return null;
        }
        Node fresh = newNode();
        Object witness = SLOT.compareAndExchange(parent.slots, slot(index, shift), expected, fresh);
        if (witness == expected) {
            return fresh;
        }
        // Someone else put a node there first: ours goes, and so does our claim on the parent.
        TableHeap.credit(TableHeap.NODE_BYTES);
        release(parent, index, shift);
        return null;
    }

    private boolean claim(Node n) {
        int u;
        do {
            u = n.used;
            if (u < 0) {
                return false;
            }
        } while (!USED.compareAndSet(n, u, u + 1));
        return true;
    }

    /**
     * Drops one count of {@code n}, the node at shift {@code shift} on {@code index}'s path; the
     * thread that takes it to zero makes it dead, unlinks it and drops its count in the parent.
     */
    private void release(Node n, long index, int shift) {
        int after = (int) USED.getAndAdd(n, -1) - 1;
        if (after != 0 || n == root || !USED.compareAndSet(n, 0, -1)) {
            return;
        }
        TableHeap.credit(TableHeap.NODE_BYTES);
        // The parent is alive (it still counts n) and so still on the path from the root.
        int parentShift = shift + SHIFT;
        Node parent = root;
        for (int sh = rootShift; sh > parentShift; sh -= SHIFT) {
            parent = (Node) SLOT.getAcquire(parent.slots, slot(index, sh));
        }
        // A writer may have replaced dead n already, having claimed the parent for its own node.
        SLOT.compareAndSet(parent.slots, slot(index, parentShift), n, null);
        release(parent, index, parentShift);
    }

    private static Node newNode() {
        TableHeap.charge(TableHeap.NODE_BYTES);
        return new Node();
    }
}

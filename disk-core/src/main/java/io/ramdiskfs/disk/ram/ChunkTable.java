package io.ramdiskfs.disk.ram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * A sparse two-level table of chunks, indexed by chunk number. A leaf covers {@link #LEAF_SIZE}
 * chunks and exists only once something in its range is stored, so an empty terabyte costs a
 * small root array. Leaves are created with a compare-and-set, because writers of different
 * chunks of one leaf hold different stripe locks; chunk slots are read and written under the
 * chunk's stripe lock; the root is replaced only while every stripe is held (resize).
 */
final class ChunkTable {
    static final int LEAF_SHIFT = 14;
    static final int LEAF_SIZE = 1 << LEAF_SHIFT;
    private static final int LEAF_MASK = LEAF_SIZE - 1;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Chunk[][].class);

    private Chunk[][] root;

    ChunkTable(long chunkCount) {
        root = new Chunk[leavesFor(chunkCount)][];
    }

    private static int leavesFor(long chunkCount) {
        return (int) ((chunkCount + LEAF_MASK) >>> LEAF_SHIFT);
    }

    Chunk get(long index) {
        Chunk[] leaf = leaf(index);
        return leaf == null ? null : leaf[(int) (index & LEAF_MASK)];
    }

    void set(long index, Chunk chunk) {
        Chunk[] leaf = leaf(index);
        if (leaf == null) {
            if (chunk == null) {
                return;
            }
            leaf = createLeaf(index);
        }
        leaf[(int) (index & LEAF_MASK)] = chunk;
    }

    /** True when no chunk of {@code index}'s leaf has ever been stored (a cheap skip for scans). */
    boolean leafAbsent(long index) {
        return leaf(index) == null;
    }

    /** The first chunk index of the leaf after {@code index}'s. */
    static long nextLeafStart(long index) {
        return ((index >>> LEAF_SHIFT) + 1) << LEAF_SHIFT;
    }

    /** Adjusts the root to hold {@code chunkCount} chunks; call with every stripe held. */
    void resize(long chunkCount) {
        int n = leavesFor(chunkCount);
        if (n != root.length) {
            root = Arrays.copyOf(root, n);
        }
    }

    private Chunk[] leaf(long index) {
        Chunk[][] r = root;
        long li = index >>> LEAF_SHIFT;
        if (li >= r.length) {
            return null;
        }
        return (Chunk[]) SLOT.getAcquire(r, (int) li);
    }

    private Chunk[] createLeaf(long index) {
        Chunk[][] r = root;
        int li = (int) (index >>> LEAF_SHIFT);
        Chunk[] fresh = new Chunk[LEAF_SIZE];
        Chunk[] witness = (Chunk[]) SLOT.compareAndExchange(r, li, (Chunk[]) null, fresh);
        return witness == null ? fresh : witness;
    }
}

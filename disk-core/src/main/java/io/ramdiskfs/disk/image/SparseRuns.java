package io.ramdiskfs.disk.image;

import java.nio.ByteBuffer;

/**
 * Finds the stretches of a buffer that are not all zeros, in blocks of {@link #BLOCK} bytes, so a
 * save skips zeros that a disk holds as data (zeros written inside a chunk that holds other data,
 * a disk written with {@code -Dramdiskfs.zeroCheck=false}). One vectorized comparison per block. A
 * load needs none: the RAM layer's write finds zeros itself.
 */
final class SparseRuns {
    static final int BLOCK = 64 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

    private SparseRuns() {}

    /** Called for each maximal non-zero run {@code [from, to)} of {@code buffer[0, length)}. */
    interface Sink {
        void run(int from, int to) throws java.io.IOException, io.ramdiskfs.disk.DiskException;
    }

    static void forEach(ByteBuffer buffer, int length, Sink sink) throws java.io.IOException, io.ramdiskfs.disk.DiskException {
        int runStart = -1;
        for (int at = 0; at < length; at += BLOCK) {
            int n = Math.min(BLOCK, length - at);
            boolean zero = buffer.slice(at, n).mismatch(ZEROS.slice(0, n)) < 0;
            if (!zero && runStart < 0) {
                runStart = at;
            } else if (zero && runStart >= 0) {
                sink.run(runStart, at);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            sink.run(runStart, length);
        }
    }
}

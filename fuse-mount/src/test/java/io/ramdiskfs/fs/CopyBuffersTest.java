package io.ramdiskfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Copy buffers are kept up to a bound and reused, whichever thread copies (issue 20, item 14):
 * one per thread used to stay allocated for the thread's life and leak with threads outside the
 * worker pool.
 */
class CopyBuffersTest {
    @Test
    void buffersBeyondTheKeptFewAreFreedAndTheKeptOnesReused() throws Exception {
        long[] taken = new long[6];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = CopyBuffers.take();
        }
        for (long b : taken) {
            CopyBuffers.give(b);
        }
        assertEquals(4, CopyBuffers.kept(), "kept after six copies at once");
        Set<Long> kept = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            kept.add(CopyBuffers.take());
        }
        Set<Long> before = new HashSet<>();
        for (long b : taken) {
            before.add(b);
        }
        assertTrue(before.containsAll(kept), "the next copies reuse kept buffers, not new ones");
        for (long b : kept) {
            CopyBuffers.give(b);
        }
        // Short-lived threads, as a door's or a test's: nothing accumulates.
        for (int t = 0; t < 50; t++) {
            Thread th = new Thread(() -> CopyBuffers.give(CopyBuffers.take()));
            th.start();
            th.join();
        }
        assertEquals(4, CopyBuffers.kept());
    }
}

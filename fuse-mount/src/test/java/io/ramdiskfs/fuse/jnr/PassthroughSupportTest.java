package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The fallback decision: which kernels and capability sets get passthrough disks. */
class PassthroughSupportTest {
    private static final String ROOT = "Name:\tjava\nCapEff:\t000001ffffffffff\n";
    private static final String NO_SYS_ADMIN = "Name:\tjava\nCapEff:\t000001ffffdfffff\n";

    @Test
    void linux69OrLaterAsRootHasIt() {
        assertNull(PassthroughSupport.missing("6.18.44-fc\n", ROOT));
        assertNull(PassthroughSupport.missing("6.9.0", ROOT));
        assertNull(PassthroughSupport.missing("7.0.1", ROOT));
    }

    @Test
    void anOlderKernelFallsBackAndSaysWhy() {
        assertTrue(PassthroughSupport.missing("6.8.12-amd64", ROOT).contains("6.9"));
        assertTrue(PassthroughSupport.missing("5.15.0", ROOT).contains("6.9"));
        assertTrue(PassthroughSupport.missing("", ROOT).contains("6.9"), "unreadable release");
    }

    @Test
    void withoutCapSysAdminItFallsBackAndSaysWhy() {
        assertTrue(PassthroughSupport.missing("6.18.0", NO_SYS_ADMIN).contains("CAP_SYS_ADMIN"));
        assertTrue(PassthroughSupport.missing("6.18.0", "Name:\tjava\n").contains("CAP_SYS_ADMIN"));
    }

    @Test
    void theLoanMovesInAStepOfA64thOfTheLimitBetween1And64MiB() {
        assertEquals(1L << 20, PassthroughSupport.loanStep(64L << 20), "small budgets: 1 MiB");
        assertEquals(16L << 20, PassthroughSupport.loanStep(1L << 30));
        assertEquals(64L << 20, PassthroughSupport.loanStep(1L << 40), "large budgets: 64 MiB");
        assertEquals(0, PassthroughSupport.loanStep(3_000_000_000L) % 4096, "whole pages");
    }
}

package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** One queue per possible CPU, numbered by CPU: the kernel refuses a mount short of one. */
class UringTransportTest {
    @Test
    void queuesCoverEveryPossibleCpuNumber() {
        assertEquals(2, UringTransport.possibleCpus("0-1\n"));
        assertEquals(1, UringTransport.possibleCpus("0"));
        assertEquals(7, UringTransport.possibleCpus("0-3,6"));
        assertEquals(64, UringTransport.possibleCpus("0-63"));
        assertThrows(NumberFormatException.class, () -> UringTransport.possibleCpus(""));
    }
}

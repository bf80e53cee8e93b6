package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NotifySocketTest {
    @Test
    void aPathIsNulTerminatedAndAnAbstractNameStartsWithNul() {
        assertArrayEquals(new byte[] {1, 0, '/', 'x', 0}, NotifySocket.sockaddr("/x"));
        assertArrayEquals(new byte[] {1, 0, 0, 'x'}, NotifySocket.sockaddr("@x"));
    }

    @Test
    void emptyAndOverlongAddressesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> NotifySocket.sockaddr(""));
        assertThrows(IllegalArgumentException.class, () -> NotifySocket.sockaddr("@"));
        assertThrows(IllegalArgumentException.class, () -> NotifySocket.sockaddr("/" + "a".repeat(107)));
    }
}

package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What a disk may be called: one entry of a flat directory. */
class DiskNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"disk0", "a", "vm.img", ".hidden", "...", "a..b", "with space", "-dash", "ünïcödé", "disk\tname"})
    void ordinaryNamesAreValid(String name) {
        assertNull(DiskNames.problem(name), name);
        assertDoesNotThrow(() -> DiskNames.check(name));
    }

    @Test
    void emptyAndNullAreRefused() {
        assertEquals("disk name is empty", DiskNames.problem(""));
        assertEquals("disk name is empty", DiskNames.problem(null));
    }

    @Test
    void dotAndDotDotAreReserved() {
        assertTrue(DiskNames.problem(".").contains("reserved"));
        assertTrue(DiskNames.problem("..").contains("reserved"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "a/b", "/a", "a/", "../x"})
    void aSlashIsRefusedNamingTheName(String name) {
        String p = DiskNames.problem(name);
        assertNotNull(p, name);
        assertTrue(p.contains("'" + name + "'"), p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiskNames.check(name));
        assertEquals(p, e.getMessage());
    }

    @Test
    void aNulByteIsRefusedAndShownEscaped() {
        String p = DiskNames.problem("a\0b");
        assertNotNull(p);
        assertTrue(p.contains("a\\0b"), p);
    }

    @Test
    void theLimitIs255BytesOfUtf8() {
        assertNull(DiskNames.problem("x".repeat(255)));
        assertNotNull(DiskNames.problem("x".repeat(256)));
        assertNull(DiskNames.problem("\u00e9".repeat(127)), "254 bytes");
        String p = DiskNames.problem("\u00e9".repeat(128));
        assertNotNull(p, "128 two-byte characters are 256 bytes");
        assertTrue(p.contains("256"), p);
        assertNotNull(DiskNames.problem("\u20ac".repeat(86)), "86 three-byte characters are 258 bytes");
        assertNull(DiskNames.problem("\u20ac".repeat(85)), "255 bytes");
        assertEquals(255, DiskNames.MAX_BYTES);
    }
}

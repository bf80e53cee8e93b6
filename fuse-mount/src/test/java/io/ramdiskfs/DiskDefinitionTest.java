package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One disk of a mount: a RAM disk of a size, or a RAM layer over an image. */
class DiskDefinitionTest {

    @Test
    void aRamDiskHasItsSizeAndNoImage() {
        DiskDefinition d = DiskDefinition.ram("disk0", 1L << 30);
        assertEquals("disk0", d.name());
        assertEquals(1L << 30, d.sizeBytes());
        assertNull(d.image());
        assertFalse(d.isMemdiff());
        assertFalse(d.readOnly());
    }

    @Test
    void aZeroSizeRamDiskIsAllowed() {
        assertEquals(0, DiskDefinition.ram("empty", 0).sizeBytes());
    }

    @Test
    void aNegativeSizeIsRefusedNamingTheDisk() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiskDefinition.ram("d", -1));
        assertTrue(e.getMessage().contains("d") && e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void aMemdiffDiskHasItsImageAndNoSize() {
        Path image = Path.of("/images/base.raw");
        DiskDefinition d = DiskDefinition.memdiff("vm", image);
        assertTrue(d.isMemdiff());
        assertEquals(image, d.image());
        assertEquals(0, d.sizeBytes());
        assertFalse(d.readOnly());
    }

    @Test
    void aMemdiffDiskNeedsAnImage() {
        assertThrows(NullPointerException.class, () -> DiskDefinition.memdiff("vm", null));
    }

    @Test
    void asReadOnlyKeepsEverythingElse() {
        DiskDefinition ram = DiskDefinition.ram("a", 4096).asReadOnly();
        assertTrue(ram.readOnly());
        assertEquals("a", ram.name());
        assertEquals(4096, ram.sizeBytes());
        assertFalse(ram.isMemdiff());
        DiskDefinition md = DiskDefinition.memdiff("b", Path.of("/x.raw")).asReadOnly();
        assertTrue(md.readOnly());
        assertTrue(md.isMemdiff());
        assertEquals(Path.of("/x.raw"), md.image());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "/"})
    void badNamesAreRefused(String name) {
        assertThrows(IllegalArgumentException.class, () -> DiskDefinition.ram(name, 512));
        assertThrows(IllegalArgumentException.class, () -> DiskDefinition.memdiff(name, Path.of("/x.raw")));
    }

    @Test
    void aNameLongerThan255BytesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DiskDefinition.ram("n".repeat(256), 512));
    }

    @Test
    void aNullNameIsRefused() {
        assertThrows(NullPointerException.class, () -> new DiskDefinition(null, 512, null, false));
    }

    @Test
    void equalDefinitionsAreEqual() {
        assertEquals(DiskDefinition.ram("a", 512), new DiskDefinition("a", 512, null, false));
    }
}

package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Mount options are validated when built. */
class MountOptionsTest {
    private static final Path MP = Path.of("/tmp/disks");

    @Test
    void defaultsAre512ByteSectorsHalfTheRamWritable() {
        MountOptions o = MountOptions.of(MP, List.of(DiskDefinition.ram("disk0", 1 << 30)));
        assertEquals(MP, o.mountPoint());
        assertEquals(512, o.sectorSize());
        assertEquals(MountOptions.DEFAULT_SECTOR_SIZE, o.sectorSize());
        assertEquals(MountOptions.defaultMemoryLimit(), o.memoryLimit());
        assertTrue(o.memoryLimit() > 0);
        assertFalse(o.readOnly());
        assertFalse(o.allowOther());
        assertTrue(o.xattrs());
        assertEquals(1, o.disks().size());
    }

    @Test
    void theSixArgumentConstructorTurnsXattrsOn() {
        assertTrue(new MountOptions(MP, List.of(), 512, 1, false, false).xattrs());
    }

    @Test
    void aNameGivenTwiceIsRefusedNamingIt() {
        List<DiskDefinition> disks = List.of(DiskDefinition.ram("a", 512), DiskDefinition.ram("b", 512),
                DiskDefinition.ram("a", 1024));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MountOptions.of(MP, disks));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    }

    @Test
    void withDiskRefusesADuplicateToo() {
        MountOptions o = MountOptions.of(MP, List.of(DiskDefinition.ram("a", 512)));
        assertThrows(IllegalArgumentException.class, () -> o.withDisk(DiskDefinition.ram("a", 512).asReadOnly()));
        assertEquals(2, o.withDisk(DiskDefinition.ram("b", 512)).disks().size());
        assertEquals(1, o.disks().size(), "withDisk leaves the original alone");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -512, 256, 511, 1000, 1536, 3000, 131072, Integer.MIN_VALUE})
    void aBadSectorSizeIsRefusedNamingIt(int size) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MountOptions(MP, List.of(), size, 1 << 20, false, false, true, false));
        assertTrue(e.getMessage().contains(Integer.toString(size)), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 1024, 2048, 4096, 8192, 65536})
    void powersOfTwoFrom512To64KiBAreAccepted(int size) {
        assertEquals(size, MountOptions.of(MP, List.of()).withSectorSize(size).sectorSize());
    }

    @Test
    void aNegativeMemoryLimitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MountOptions.of(MP, List.of()).withMemoryLimit(-1));
        assertEquals(0, MountOptions.of(MP, List.of()).withMemoryLimit(0).memoryLimit());
    }

    @Test
    void aMissingMountPointIsRefused() {
        assertThrows(NullPointerException.class, () -> MountOptions.of(null, List.of()));
    }

    @Test
    void theDiskListIsCopiedAndImmutable() {
        List<DiskDefinition> disks = new ArrayList<>(List.of(DiskDefinition.ram("a", 512)));
        MountOptions o = MountOptions.of(MP, disks);
        disks.add(DiskDefinition.ram("b", 512));
        assertEquals(1, o.disks().size());
        assertThrows(UnsupportedOperationException.class, () -> o.disks().add(DiskDefinition.ram("c", 512)));
    }

    @Test
    void withersChangeOneFieldAndKeepTheRest() {
        MountOptions o = new MountOptions(MP, List.of(DiskDefinition.ram("a", 512)), 4096, 1 << 20, false, false, true, false);
        MountOptions ro = o.withReadOnly(true);
        assertTrue(ro.readOnly());
        assertEquals(4096, ro.sectorSize());
        assertEquals(1 << 20, ro.memoryLimit());
        MountOptions all = ro.withAllowOther(true).withXattrs(false).withMemoryLimit(7).withSectorSize(512);
        assertTrue(all.readOnly());
        assertTrue(all.allowOther());
        assertFalse(all.xattrs());
        assertEquals(7, all.memoryLimit());
        assertEquals(512, all.sectorSize());
        assertEquals(MP, all.mountPoint());
        assertEquals(o.disks(), all.disks());
        assertFalse(o.readOnly(), "the original is unchanged");
    }
}

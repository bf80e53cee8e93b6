package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/**
 * Small fixtures for disk tests: layers, images, sector I/O on byte arrays, and an assertion for
 * the error kind. Public so that the test-jar's users can build disks the same way.
 */
public final class TestDisks {
    public static final long BYTES = NativeMemory.BYTE_ARRAY_BASE;

    private TestDisks() {}

    public static RamLayer ram(long sizeBytes, MemoryBudget budget) {
        return RamLayer.create(sizeBytes, SectorPattern.DEFAULT_SECTOR_SIZE, budget);
    }

    public static RamLayer ram(long sizeBytes) {
        return ram(sizeBytes, MemoryBudget.unlimited());
    }

    /** A RAM layer holding sectors {@code [0, sizeBytes)} of pattern {@code generation}, written directly. */
    public static RamLayer ramWithPattern(long sizeBytes, int generation, MemoryBudget budget) throws DiskException {
        RamLayer layer = ram(sizeBytes, budget);
        writeLayer(layer, 0, (int) (sizeBytes / layer.sectorSize()), generation);
        return layer;
    }

    /** An image file of the pattern. */
    public static FileLayer patternImage(Path dir, String name, long sizeBytes, int generation, int sectorSize)
            throws IOException {
        return FileLayer.open(SectorPattern.writeImage(dir.resolve(name), sizeBytes, generation), sectorSize);
    }

    /** An image file of random bytes (returned in {@code content}). */
    public static Path randomImage(Path dir, String name, byte[] content, long seed) throws IOException {
        new Random(seed).nextBytes(content);
        return Files.write(dir.resolve(name), content);
    }

    public static LayeredDisk stack(boolean readOnly, LayerSource... layers) {
        return LayeredDisk.create(readOnly, java.util.Arrays.stream(layers).map(LayerConfiguration::of).toList());
    }

    public static LayeredDisk stack(List<LayerConfiguration> layers) {
        return LayeredDisk.create(false, layers);
    }

    /** Writes pattern {@code generation} to sectors {@code [sector, sector + count)} of one layer. */
    public static void writeLayer(LayerIo layer, long sector, int count, int generation) throws DiskException {
        byte[] b = SectorPattern.sectors(sector, count, generation, layer.sectorSize());
        layer.write(b, BYTES, sector, count, false);
    }

    /** Writes pattern {@code generation} to sectors {@code [sector, sector + count)} of a disk. */
    public static void write(LayeredDisk disk, long sector, int count, int generation) throws DiskException {
        byte[] b = SectorPattern.sectors(sector, count, generation, disk.sectorSize());
        disk.write(b, BYTES, sector, count, false);
    }

    public static byte[] read(LayeredDisk disk, long sector, int count) throws DiskException {
        byte[] b = new byte[count * disk.sectorSize()];
        disk.read(b, BYTES, sector, count);
        return b;
    }

    /** Reads a lone layer (zeros where it holds nothing). */
    public static byte[] readLayer(LayerIo layer, long sector, int count) throws DiskException {
        byte[] b = new byte[count * layer.sectorSize()];
        layer.read(b, BYTES, sector, count, null);
        return b;
    }

    /** Everything the disk holds. */
    public static byte[] contents(LayeredDisk disk) throws DiskException {
        return read(disk, 0, Math.toIntExact(disk.sectorCount()));
    }

    /** Asserts that sectors {@code [sector, sector + count)} of the disk hold pattern {@code generation}. */
    public static void checkPattern(LayeredDisk disk, long sector, int count, int generation) throws DiskException {
        SectorPattern.check(read(disk, sector, count), 0, count * disk.sectorSize(), sector * disk.sectorSize(),
                generation, disk.sectorSize());
    }

    /** Asserts that sectors {@code [sector, sector + count)} of the disk read zeros. */
    public static void checkZeros(LayeredDisk disk, long sector, int count) throws DiskException {
        SectorPattern.checkZeros(read(disk, sector, count), 0, count * disk.sectorSize(), sector * disk.sectorSize(),
                disk.sectorSize());
    }

    /** Asserts that {@code action} fails with a {@link DiskException} of {@code error}; returns it. */
    public static DiskException assertFails(DiskError error, Executable action) {
        DiskException e = assertThrows(DiskException.class, action);
        assertEquals(error, e.error(), () -> "wrong error kind: " + e);
        return e;
    }
}

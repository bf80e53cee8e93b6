package io.ramdiskfs.disk.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayerConfiguration;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ImageWriter and ImageLoader round trips, a failed save, and LayeredDisk.replaceBase (commit). */
class ImageRoundTripTest {
    static final int SS = 512;
    static final long SIZE = 64L << 20;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] read(LayeredDisk d, long offset, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        d.read(b, offset / SS);
        return b.array();
    }

    @Test
    void aSavedImageLoadsBackWithTheSameDataAndNoZerosStored() throws Exception {
        LayeredDisk disk = LayeredDisk.of(RamLayer.create(SIZE, SS, budget), false);
        byte[] a = random(1 << 20, 1);
        disk.write(ByteBuffer.wrap(a), (8L << 20) / SS, false);
        disk.write(ByteBuffer.allocate(1 << 20), (20L << 20) / SS, false); // data that is all zeros
        Path image = dir.resolve("disk.raw");
        LayeredDisk snap = disk.snapshot();
        ImageWriter.save(snap, image, Progress.NONE);
        snap.close();
        assertEquals(SIZE, Files.size(image));

        RamLayer loaded = RamLayer.create(SIZE, SS, budget);
        long data = ImageLoader.load(image, loaded, ImageHoles.ALL_DATA, Progress.NONE); // no SEEK_DATA: zeros skipped by content
        assertEquals(SIZE, data);
        assertEquals(1 << 20, loaded.committedBytes());
        LayeredDisk back = LayeredDisk.of(loaded, true);
        assertArrayEquals(a, read(back, 8L << 20, 1 << 20));
        assertEquals(-1, back.seekData(9L << 20));
        back.close();
        disk.close();
    }

    @Test
    void aFailedSaveLeavesTheOldImageAndNoTemporaryFile() throws Exception {
        LayeredDisk disk = LayeredDisk.of(RamLayer.create(SIZE, SS, budget), false);
        disk.write(ByteBuffer.wrap(random(4096, 2)), 0, false);
        Path image = dir.resolve("old.raw");
        Files.write(image, new byte[] {1, 2, 3});
        Path blocked = dir.resolve("blocked");
        Files.createDirectory(blocked);
        // Destination is a directory: refused before anything is written.
        assertThrows(ImageFailure.class, () -> ImageWriter.save(disk, blocked, Progress.NONE));
        // A temporary file of a dead process is cleared by the next save.
        Path stale = dir.resolve(".old.raw" + ImageWriter.TEMP_MARK + "999999999-1");
        Files.write(stale, new byte[] {9});
        ImageWriter.save(disk, image, Progress.NONE);
        assertFalse(Files.exists(stale));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("blocked", "old.raw"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        disk.close();
    }

    @Test
    void replaceBasePutsTheDiskOnTheNewImageOnlyWhenNothingChanged() throws Exception {
        Path base = dir.resolve("base.raw");
        Files.write(base, random((int) (4L << 20), 3));
        LayeredDisk disk = LayeredDisk.create(false, List.of(LayerConfiguration.of(
                RamLayer.over(budget, io.ramdiskfs.disk.ram.ChunkAllocator.MALLOC)), LayerConfiguration.of(FileLayer.open(base, SS))));
        byte[] w = random(8192, 4);
        disk.write(ByteBuffer.wrap(w), 100, false);
        byte[] expected = read(disk, 0, 4 << 20);
        byte[] oldBase = Files.readAllBytes(base);

        // Changed after the snapshot: refused, publish never called.
        LayeredDisk snap = disk.snapshot();
        disk.write(ByteBuffer.wrap(random(512, 5)), 0, false);
        assertFalse(disk.replaceBase(snap, () -> {
            throw new AssertionError("published although the disk changed");
        }));
        snap.close();
        disk.write(ByteBuffer.wrap(expected, 0, 512), 0, false);

        snap = disk.snapshot();
        Path tmp = ImageWriter.writeTemp(snap, base, Progress.NONE);
        FileLayer old = (FileLayer) disk.layers().get(disk.layers().size() - 1);
        LayeredDisk keep = disk.snapshot(); // an older snapshot keeps reading the old base
        snap.close();
        snap = keep;
        Path tmp2 = ImageWriter.writeTemp(snap, base, Progress.NONE);
        ImageWriter.discard(tmp);
        assertTrue(disk.replaceBase(snap, () -> {
            ImageWriter.publish(tmp2, base);
            old.markReplaced();
            return FileLayer.open(base, SS);
        }));
        assertArrayEquals(expected, Files.readAllBytes(base));
        assertEquals(2, disk.depth());
        assertEquals(0, disk.committedBytes());
        assertArrayEquals(expected, read(disk, 0, 4 << 20));
        disk.write(ByteBuffer.wrap(random(4096, 6)), 0, false);
        assertArrayEquals(expected, read(snap, 0, 4 << 20)); // old layers + old base, still open
        assertFalse(java.util.Arrays.equals(oldBase, expected));
        snap.close();
        disk.close();
        assertEquals(0, budget.used());
    }

    @Test
    void anImageWithHolesAnswersSeekFromThem() throws IOException {
        Path image = dir.resolve("holes.raw");
        Files.write(image, new byte[0]);
        ImageHoles.Finder holes = (p, size) -> new ImageHoles() { // data only in [1 MiB, 2 MiB)
            public long nextData(long pos) {
                return pos < (1 << 20) ? 1 << 20 : pos < (2 << 20) ? pos : -1;
            }

            public long nextHole(long pos) {
                return pos < (2 << 20) && pos >= (1 << 20) ? 2 << 20 : pos;
            }

            public void close() {}
        };
        try (var f = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0);
            f.write(ByteBuffer.allocate(1), (4L << 20) - 1);
        }
        LayeredDisk disk = LayeredDisk.create(false, List.of(
                LayerConfiguration.of(RamLayer.over(budget, io.ramdiskfs.disk.ram.ChunkAllocator.MALLOC)),
                LayerConfiguration.of(FileLayer.open(image, SS, false, holes))));
        assertEquals(1 << 20, disk.seekData(0));
        assertEquals(2 << 20, disk.seekHole(1 << 20));
        assertEquals(-1, disk.seekData(2 << 20));
        disk.close();
    }
}

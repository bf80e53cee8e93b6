package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static io.ramdiskfs.disk.TestDisks.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.image.FileLayer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A raw image as a read-only layer in which every sector is present. */
class FileLayerTest {
    @TempDir
    Path dir;

    @Test
    void everySectorIsPresentAndReadsTheImage() throws Exception {
        try (FileLayer image = TestDisks.patternImage(dir, "a.img", 64 * 1024, 2, 512)) {
            assertEquals(128, image.sectorCount());
            assertEquals(0, image.committedBytes());
            assertTrue(image.isReadOnly());
            SectorMarker marker = new SectorMarker();
            marker.reset(7, 100);
            byte[] b = new byte[100 * 512];
            image.read(b, BYTES, 7, 100, marker);
            assertTrue(marker.allSet());
            SectorPattern.check(b, 7 * 512, 2);
            ByteBuffer direct = ByteBuffer.allocateDirect(3 * 512);
            image.read(null, NativeMemory.offsetOf(direct), 125, 3, null);
            SectorPattern.check(direct, 125 * 512, 2, 512);
        }
    }

    @Test
    void writesUnmapsAndResizesAreRefused() throws Exception {
        try (FileLayer image = TestDisks.patternImage(dir, "a.img", 4096, 0, 512)) {
            byte[] b = new byte[512];
            assertFails(DiskError.READ_ONLY, () -> image.write(b, BYTES, 0, 1, false));
            assertFails(DiskError.READ_ONLY, () -> image.unmap(0, 1, 0));
            assertFails(DiskError.UNSUPPORTED, () -> image.resize(1));
            assertFails(DiskError.UNSUPPORTED, () -> image.writeNoOverwrite(b, BYTES, 0, 1));
        }
        SectorPattern.checkFile(dir.resolve("a.img"), 0, 4096, 0, 512);
    }

    @Test
    void fourKibibyteSectors() throws Exception {
        try (FileLayer image = TestDisks.patternImage(dir, "a.img", 5 * 4096, 1, 4096)) {
            assertEquals(5, image.sectorCount());
            SectorPattern.check(TestDisks.readLayer(image, 1, 4), 0, 4 * 4096, 4096, 1, 4096);
        }
    }

    @Test
    void aClosedImageRefusesReads() throws Exception {
        FileLayer image = TestDisks.patternImage(dir, "a.img", 4096, 0, 512);
        image.close();
        image.close();
        assertFails(DiskError.IO, () -> TestDisks.readLayer(image, 0, 1));
    }

    @Test
    void openRefusesWhatIsNoImageAndNamesThePath() throws Exception {
        Path missing = dir.resolve("missing.img");
        assertRefused(missing, 512, "does not exist");
        assertRefused(dir, 512, "neither a regular file nor a block device");
        assertRefused(Files.createFile(dir.resolve("empty.img")), 512, "empty");
        assertRefused(Files.write(dir.resolve("odd.img"), new byte[1000]), 512, "not a multiple");
        assertRefused(Files.write(dir.resolve("small.img"), new byte[1024]), 4096, "not a multiple");
        assertThrows(IllegalArgumentException.class, () -> FileLayer.open(dir.resolve("small.img"), 1000));
    }

    private static void assertRefused(Path path, int sectorSize, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileLayer.open(path, sectorSize));
        assertTrue(e.getMessage().contains(path.toString()), e::getMessage);
        assertTrue(e.getMessage().contains(why), e::getMessage);
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayerConfiguration;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read-only {@code user.ramdiskfs.*} attributes that describe a disk. */
class XattrTest {
    @TempDir
    Path tmp;

    private static String value(Fixture fx, String path, String name) throws FsException {
        return new String(fx.dir.xattr(path, name), StandardCharsets.UTF_8);
    }

    @Test
    void everyDiskListsItsAttributes() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            assertEquals(List.of("user.ramdiskfs.layers", "user.ramdiskfs.committed_bytes", "user.ramdiskfs.sector_size",
                    "user.ramdiskfs.snapshots"),
                    fx.dir.xattrNames("/disk0"));
            for (String n : fx.dir.xattrNames("/disk0")) {
                assertTrue(n.startsWith(ControlAttributes.PREFIX), n);
            }
        }
    }

    @Test
    void aRamDiskIsDescribedAsRam() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            assertEquals("ram", value(fx, "/disk0", "user.ramdiskfs.layers"));
            assertEquals("512", value(fx, "/disk0", "user.ramdiskfs.sector_size"));
        }
    }

    @Test
    void committedBytesFollowWritesAndPunches() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4 * CHUNK);
            assertEquals("0", value(fx, "/disk0", "user.ramdiskfs.committed_bytes"));
            fx.writePattern(fh, 0, 2 * CHUNK, 1);
            assertEquals(Long.toString(2L * CHUNK), value(fx, "/disk0", "user.ramdiskfs.committed_bytes"));
            fx.dir.fallocate(fh, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, CHUNK);
            assertEquals(Long.toString(CHUNK), value(fx, "/disk0", "user.ramdiskfs.committed_bytes"));
        }
    }

    @Test
    void aFourKibibyteSectorDiskSaysSo() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.dir.add("big", LayeredDisk.of(RamLayer.create(1 << 20, 4096, fx.budget), false), 0, 0);
            assertEquals("4096", value(fx, "/big", "user.ramdiskfs.sector_size"));
        }
    }

    @Test
    void aMemdiffDiskIsRamOverTheImageFile() throws Exception {
        Path image = tmp.resolve("base image.raw");
        byte[] base = Fixture.pattern(0, 8192, 3);
        Files.write(image, base);
        try (Fixture fx = new Fixture()) {
            LayeredDisk disk = LayeredDisk.create(false, List.of(
                    LayerConfiguration.of(RamLayer.over(fx.budget)),
                    LayerConfiguration.of(FileLayer.open(image, 512))));
            fx.dir.add("vm.img", disk, 0, 0);
            assertEquals("ram over file:" + image, value(fx, "/vm.img", "user.ramdiskfs.layers"));
            assertEquals("0", value(fx, "/vm.img", "user.ramdiskfs.committed_bytes"));
            long fh = fx.dir.open("/vm.img", O_RDWR);
            assertEquals(8192, fx.dir.file(fh).size(), "a memdiff disk takes the image's size");
            fx.assertPattern(fh, 0, 8192, 3);
            fx.writePattern(fh, 1000, 10, 4);
            fx.assertPattern(fh, 1000, 10, 4);
            fx.assertPattern(fh, 0, 1000, 3);
            fx.dir.fallocate(fh, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 4096, 1024);
            fx.assertZeros(fh, 4096, 1024);
            fx.assertPattern(fh, 5120, 8192 - 5120, 3);
            assertEquals(Long.toString(CHUNK), value(fx, "/vm.img", "user.ramdiskfs.committed_bytes"));
            assertTrue(java.util.Arrays.equals(base, Files.readAllBytes(image)), "the image is never written");
        }
    }

    @Test
    void anUnknownNameIsEnodata() {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            assertFsErrno(Errno.ENODATA, () -> fx.dir.xattr("/disk0", "user.ramdiskfs.nope"));
            assertFsErrno(Errno.ENODATA, () -> fx.dir.xattr("/disk0", "security.capability"));
            assertFsErrno(Errno.ENODATA, () -> fx.dir.xattr("/disk0", ""));
        }
    }

    @Test
    void theRootHasNoAttributes() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENODATA, () -> fx.dir.xattr("/", "user.ramdiskfs.layers"));
            assertFsErrno(Errno.ENODATA, () -> fx.dir.xattr("/", "user.other"));
        }
    }

    @Test
    void aMissingDiskIsEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.xattr("/nope", "user.ramdiskfs.layers"));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.xattrNames("/nope"));
        }
    }
}

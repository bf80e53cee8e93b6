package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fallocate.KEEP_SIZE;
import static io.ramdiskfs.fs.Fallocate.PUNCH_HOLE;
import static io.ramdiskfs.fs.Fallocate.ZERO_RANGE;
import static io.ramdiskfs.fs.Fixture.O_RDONLY;
import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.O_WRONLY;
import static io.ramdiskfs.fs.Fixture.assertErrno;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.ram.RamLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Read-only disks refuse every change with EROFS; a read-only mount refuses namespace changes. */
class ReadOnlyTest {

    /** A read-only disk holding the pattern with seed 1, as a writable disk first filled it. */
    private static long readOnlyDiskWithData(Fixture fx, String name, int size) throws Exception {
        RamLayer layer = RamLayer.create(size, 512, fx.budget);
        LayeredDisk writer = LayeredDisk.of(layer, false);
        byte[] data = Fixture.pattern(0, size, 1);
        writer.bytes().write(0, data, io.ramdiskfs.disk.NativeMemory.BYTE_ARRAY_BASE, size);
        fx.dir.add(name, LayeredDisk.of(layer, true), 0, 0);
        return fx.dir.open("/" + name, O_RDONLY);
    }

    @Test
    void openForWritingIsErofs() {
        try (Fixture fx = new Fixture()) {
            fx.add("ro", 4096, true);
            assertFsErrno(Errno.EROFS, () -> fx.dir.open("/ro", O_WRONLY));
            assertFsErrno(Errno.EROFS, () -> fx.dir.open("/ro", O_RDWR));
            assertFsErrno(Errno.EROFS, () -> fx.dir.open("/ro", O_RDWR | 0100 | 01000));
        }
    }

    @Test
    void openForReadingWorksAndReads() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = readOnlyDiskWithData(fx, "ro", 8192);
            assertTrue(fx.dir.file(fh).disk().isReadOnly());
            fx.assertPattern(fh, 100, 5000, 1);
        }
    }

    @Test
    void writeIsErofsAndChangesNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = readOnlyDiskWithData(fx, "ro", 8192);
            long mtime = fx.dir.file(fh).mtimeNanos();
            fx.clock.addAndGet(1_000_000_000L);
            assertErrno(Errno.EROFS, () -> fx.write(fh, 0, new byte[512]));
            assertErrno(Errno.EROFS, () -> fx.write(fh, 100, new byte[3]));
            assertErrno(Errno.EROFS, () -> fx.write(fh, 8190, new byte[100]));
            assertErrno(Errno.EROFS, () -> fx.write(fh, 1 << 20, new byte[512]));
            assertEquals(8192, fx.dir.file(fh).size(), "a refused write past the end does not grow");
            fx.assertPattern(fh, 0, 8192, 1);
            assertEquals(mtime, fx.dir.file(fh).mtimeNanos(), "a refused write leaves mtime alone");
        }
    }

    @Test
    void truncateIsErofsAndChangesNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = readOnlyDiskWithData(fx, "ro", 8192);
            assertErrno(Errno.EROFS, () -> fx.dir.truncate("/ro", 4096));
            assertErrno(Errno.EROFS, () -> fx.dir.truncate("/ro", 0));
            assertErrno(Errno.EROFS, () -> fx.dir.ftruncate(fh, 16384));
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 8192, 1);
        }
    }

    @Test
    void truncateToTheSameSizeIsErofsAndLeavesMtimeAlone() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = readOnlyDiskWithData(fx, "ro", 8192);
            long mtime = fx.dir.file(fh).mtimeNanos();
            fx.clock.addAndGet(1_000_000_000L);
            assertErrno(Errno.EROFS, () -> fx.dir.truncate("/ro", 8192));
            assertErrno(Errno.EROFS, () -> fx.dir.ftruncate(fh, 8192));
            assertEquals(mtime, fx.dir.file(fh).mtimeNanos(), "a read-only disk's mtime does not move");
        }
    }

    @Test
    void fallocateIsErofsInEverySupportedMode() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = readOnlyDiskWithData(fx, "ro", 8192);
            for (int mode : new int[] {0, KEEP_SIZE, PUNCH_HOLE | KEEP_SIZE, ZERO_RANGE, ZERO_RANGE | KEEP_SIZE}) {
                assertFsErrno(Errno.EROFS, () -> fx.dir.fallocate(fh, mode, 0, 4096), "mode " + mode);
                assertFsErrno(Errno.EROFS, () -> fx.dir.fallocate(fh, mode, 8192, 4096), "past the end, mode " + mode);
            }
            assertEquals(8192, fx.dir.file(fh).size());
            fx.assertPattern(fh, 0, 8192, 1);
        }
    }

    @Test
    void aReadOnlyDiskStillAllowsNamespaceAndAttributeChangesOnAWritableMount() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("ro", 4096, true);
            fx.dir.chmod("/ro", 0400);
            assertEquals(0400, fx.dir.lookup("/ro").mode());
            fx.dir.rename("/ro", "/ro2");
            fx.dir.unlink("/ro2");
            assertTrue(fx.dir.names().isEmpty());
        }
    }

    @Test
    void readOnlyMountRefusesCreateUnlinkRenameAndAttributeChanges() throws Exception {
        try (Fixture fx = Fixture.readOnlyMount()) {
            assertTrue(fx.dir.isReadOnly());
            fx.add("disk0", 4096, true);
            assertFsErrno(Errno.EROFS, () -> fx.dir.create("/new", 0644, 0, 0));
            assertFsErrno(Errno.EROFS, () -> fx.dir.unlink("/disk0"));
            assertFsErrno(Errno.EROFS, () -> fx.dir.rename("/disk0", "/other"));
            assertFsErrno(Errno.EROFS, () -> fx.dir.chmod("/disk0", 0600));
            assertFsErrno(Errno.EROFS, () -> fx.dir.chown("/disk0", 1, 1));
            assertFsErrno(Errno.EROFS, () -> fx.dir.utimens("/disk0", 0, 0));
            assertEquals(List.of("disk0"), fx.dir.names());
            assertEquals(0444, fx.dir.lookup("/disk0").mode());
        }
    }

    @Test
    void readOnlyMountStillOpensAndReads() throws Exception {
        try (Fixture fx = Fixture.readOnlyMount()) {
            fx.add("disk0", 4096, true);
            long fh = fx.dir.open("/disk0", O_RDONLY);
            fx.assertZeros(fh, 0, 4096);
            fx.dir.release(fh);
        }
    }

    @Test
    void createOfAnExistingDiskOnAReadOnlyMountOpensIt() throws Exception {
        try (Fixture fx = Fixture.readOnlyMount()) {
            fx.add("disk0", 4096, true);
            long fh = fx.dir.create("/disk0", 0644, 0, 0);
            assertEquals(4096, fx.dir.file(fh).size());
            assertFalse(fx.dir.names().isEmpty());
        }
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.O_RDONLY;
import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.O_WRONLY;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.ram.RamLayer;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The flat directory: lookup, create, unlink, rename, and what it refuses. */
class DiskDirectoryNamespaceTest {

    @Test
    void addedDisksAreListedAndFound() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 4096);
            fx.add("b", 8192, true);
            assertEquals(Set.of("a", "b"), new HashSet<>(fx.dir.names()));
            assertEquals(4096, fx.dir.lookup("/a").size());
            assertEquals(0644, fx.dir.lookup("/a").mode(), "a writable disk is rw-r--r--");
            assertEquals(0444, fx.dir.lookup("/b").mode(), "a read-only disk is r--r--r--");
            assertNotEquals(fx.dir.lookup("/a").inode(), fx.dir.lookup("/b").inode());
            assertTrue(fx.dir.lookup("/a").inode() > 1, "inode 1 is the root's");
        }
    }

    @Test
    void addKeepsOwnerAndStampsTimes() {
        try (Fixture fx = new Fixture()) {
            fx.clock.set(42_000_000_000L);
            DiskFile f = fx.dir.add("d", LayeredDisk.of(RamLayer.create(512, 512, fx.budget), false), 1000, 100);
            assertEquals(1000, f.uid());
            assertEquals(100, f.gid());
            assertEquals(42_000_000_000L, f.atimeNanos());
            assertEquals(42_000_000_000L, f.mtimeNanos());
            assertEquals(42_000_000_000L, f.ctimeNanos());
        }
    }

    @Test
    void addingANameTwiceIsRefused() {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fx.add("disk0", 1024));
            assertTrue(e.getMessage().contains("disk0"), e.getMessage());
            assertEquals(512, assertDoesNotThrowLookup(fx, "/disk0").size(), "the first disk stays");
        }
    }

    @Test
    void addingABadNameIsRefused() {
        try (Fixture fx = new Fixture()) {
            for (String bad : List.of("", ".", "..", "a/b", "x\0y", "n".repeat(256))) {
                assertThrows(IllegalArgumentException.class, () -> fx.add(bad, 512), "name '" + bad + "'");
            }
            assertTrue(fx.dir.names().isEmpty());
        }
    }

    private static DiskFile assertDoesNotThrowLookup(Fixture fx, String path) {
        try {
            return fx.dir.lookup(path);
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void lookupOfAMissingDiskIsEnoent() {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("/disk1"));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("/disk0/x"), "no subdirectories");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("disk0"), "not absolute");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup(""));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup(null));
        }
    }

    @Test
    void lookupOfTheRootIsEisdir() {
        try (Fixture fx = new Fixture()) {
            assertTrue(DiskDirectory.isRoot("/"));
            assertFalse(DiskDirectory.isRoot("/disk0"));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.lookup("/"));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.open("/", O_RDONLY));
        }
    }

    @Test
    void openOfAMissingDiskIsEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.open("/nope", O_RDWR));
        }
    }

    @Test
    void createMakesAnEmptyDiskWithTheGivenModeAndOwner() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.clock.set(9_000_000_000L);
            long fh = fx.dir.create("/new.img", 0100640, 1000, 1001);
            DiskFile f = fx.dir.file(fh);
            assertSame(f, fx.dir.lookup("/new.img"));
            assertEquals(0, f.size(), "a created disk is empty");
            assertEquals(0, f.blocks());
            assertEquals(0640, f.mode(), "permission bits only");
            assertEquals(1000, f.uid());
            assertEquals(1001, f.gid());
            assertEquals(9_000_000_000L, f.mtimeNanos());
            assertEquals(512, f.disk().sectorSize());
            assertTrue(fx.dir.names().contains("new.img"));
            assertEquals(0, fx.read(fh, 0, 100).length);
        }
    }

    @Test
    void createOfAnExistingDiskOpensIt() throws Exception {
        try (Fixture fx = new Fixture()) {
            long first = fx.addOpen("disk0", 8192);
            fx.writePattern(first, 0, 8192, 1);
            long second = fx.dir.create("/disk0", 0600, 5, 5);
            assertNotEquals(first, second);
            assertSame(fx.dir.file(first), fx.dir.file(second));
            assertEquals(8192, fx.dir.file(second).size(), "the existing disk is not emptied");
            assertEquals(0644, fx.dir.file(second).mode(), "nor are its attributes changed");
            fx.assertPattern(second, 0, 8192, 1);
            assertEquals(1, fx.dir.names().size());
        }
    }

    @Test
    void createWithASlashInsideIsEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.create("/a/b", 0644, 0, 0));
            assertTrue(fx.dir.names().isEmpty());
        }
    }

    @Test
    void createOfReservedOrNulNamesIsEinval() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.EINVAL, () -> fx.dir.create("/.", 0644, 0, 0));
            assertFsErrno(Errno.EINVAL, () -> fx.dir.create("/..", 0644, 0, 0));
            assertFsErrno(Errno.EINVAL, () -> fx.dir.create("/a\0b", 0644, 0, 0));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.create("/", 0644, 0, 0));
            assertTrue(fx.dir.names().isEmpty());
        }
    }

    @Test
    void createOfANameLongerThan255BytesIsEnametoolong() throws Exception {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENAMETOOLONG, () -> fx.dir.create("/" + "n".repeat(256), 0644, 0, 0));
            assertFsErrno(Errno.ENAMETOOLONG, () -> fx.dir.create("/" + "\u00e9".repeat(128), 0644, 0, 0),
                    "128 two-byte characters are 256 bytes");
            assertTrue(fx.dir.names().isEmpty());
            fx.dir.create("/" + "n".repeat(255), 0644, 0, 0);
            fx.dir.create("/" + "\u00e9".repeat(127), 0644, 0, 0);
            assertEquals(2, fx.dir.names().size(), "255 and 254 bytes are fine");
        }
    }

    @Test
    void createdDisksGetDistinctInodes() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            long a = fx.dir.create("/a", 0644, 0, 0);
            long b = fx.dir.create("/b", 0644, 0, 0);
            Set<Long> inodes = Set.of(fx.dir.lookup("/disk0").inode(), fx.dir.file(a).inode(), fx.dir.file(b).inode());
            assertEquals(3, inodes.size(), "inodes " + inodes);
        }
    }

    @Test
    void unlinkRemovesTheNameAndFreesTheMemory() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 2 * CHUNK);
            fx.writePattern(fh, 0, 2 * CHUNK, 1);
            fx.dir.release(fh);
            assertEquals(2L * CHUNK, fx.budget.used());
            fx.dir.unlink("/disk0");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("/disk0"));
            assertTrue(fx.dir.names().isEmpty());
            assertEquals(0, fx.budget.used(), "no handle open: memory returns at once");
        }
    }

    @Test
    void unlinkOfAMissingDiskIsEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.unlink("/nope"));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.unlink("/"));
        }
    }

    @Test
    void aNameCanBeCreatedAgainAfterUnlinkAndIsANewEmptyDisk() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 1);
            fx.dir.release(fh);
            fx.dir.unlink("/disk0");
            long again = fx.dir.create("/disk0", 0644, 0, 0);
            assertEquals(0, fx.dir.file(again).size());
        }
    }

    @Test
    void renameMovesTheDisk() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("old", 4096);
            fx.writePattern(fh, 0, 4096, 2);
            DiskFile f = fx.dir.file(fh);
            fx.dir.release(fh);
            fx.dir.rename("/old", "/new");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("/old"));
            assertSame(f, fx.dir.lookup("/new"));
            assertEquals(List.of("new"), fx.dir.names());
            long again = fx.dir.open("/new", O_RDONLY);
            fx.assertPattern(again, 0, 4096, 2);
        }
    }

    @Test
    void renameOntoAnotherDiskReplacesAndFreesIt() throws Exception {
        try (Fixture fx = new Fixture()) {
            long a = fx.addOpen("a", CHUNK);
            long b = fx.addOpen("b", 3 * CHUNK);
            fx.writePattern(a, 0, CHUNK, 1);
            fx.writePattern(b, 0, 3 * CHUNK, 2);
            fx.dir.release(a);
            fx.dir.release(b);
            assertEquals(4L * CHUNK, fx.budget.used());
            fx.dir.rename("/a", "/b");
            assertEquals(List.of("b"), fx.dir.names());
            assertEquals(CHUNK, fx.dir.lookup("/b").size());
            assertEquals(CHUNK, fx.budget.used(), "the replaced disk's memory is returned");
            long fh = fx.dir.open("/b", O_RDONLY);
            fx.assertPattern(fh, 0, CHUNK, 1);
        }
    }

    @Test
    void renameOntoAnOpenDiskFreesItOnlyAtItsLastRelease() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 0);
            long b = fx.addOpen("b", CHUNK);
            fx.writePattern(b, 0, CHUNK, 3);
            fx.dir.rename("/a", "/b");
            assertEquals(CHUNK, fx.budget.used(), "the replaced disk is still open");
            fx.assertPattern(b, 0, CHUNK, 3);
            fx.writePattern(b, 0, 10, 4);
            fx.assertPattern(b, 0, 10, 4);
            assertEquals(0, fx.dir.lookup("/b").size(), "the name is the renamed disk's");
            fx.dir.release(b);
            assertEquals(0, fx.budget.used());
        }
    }

    @Test
    void renameOfAMissingSourceIsEnoentAndChangesNothing() {
        try (Fixture fx = new Fixture()) {
            fx.add("b", 512);
            assertFsErrno(Errno.ENOENT, () -> fx.dir.rename("/a", "/b"));
            assertEquals(List.of("b"), fx.dir.names());
        }
    }

    @Test
    void renameToItselfChangesNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("a", CHUNK);
            fx.writePattern(fh, 0, CHUNK, 5);
            fx.dir.rename("/a", "/a");
            assertEquals(List.of("a"), fx.dir.names());
            fx.assertPattern(fh, 0, CHUNK, 5);
            assertEquals(CHUNK, fx.budget.used());
        }
    }

    @Test
    void renameToABadNameIsRefusedAndChangesNothing() {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 512);
            assertFsErrno(Errno.ENOENT, () -> fx.dir.rename("/a", "/x/y"));
            assertFsErrno(Errno.EINVAL, () -> fx.dir.rename("/a", "/.."));
            assertFsErrno(Errno.ENAMETOOLONG, () -> fx.dir.rename("/a", "/" + "z".repeat(256)));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.rename("/a", "/"));
            assertFsErrno(Errno.EISDIR, () -> fx.dir.rename("/", "/b"));
            assertEquals(List.of("a"), fx.dir.names());
        }
    }

    @Test
    void notADiskOperationIsEperm() {
        for (String op : List.of("mkdir", "symlink", "link", "mknod")) {
            FsException e = DiskDirectory.notADiskOperation(op, "/x");
            assertEquals(Errno.EPERM, e.errno());
            assertEquals(Errno.EPERM, ErrnoMapper.errno(e));
            assertTrue(e.getMessage().contains(op) && e.getMessage().contains("/x"), e.getMessage());
        }
    }

    @Test
    void closeAllClosesEveryDiskAndEmptiesTheDirectory() throws Exception {
        Fixture fx = new Fixture();
        long fh = fx.addOpen("a", CHUNK);
        fx.writePattern(fh, 0, CHUNK, 1);
        fx.add("b", CHUNK);
        fx.close();
        assertTrue(fx.dir.names().isEmpty());
        assertEquals(0, fx.budget.used());
    }

    @Test
    void openWithWriteFlagsOfAWritableDiskWorks() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            fx.dir.open("/disk0", O_WRONLY);
            fx.dir.open("/disk0", O_RDWR | 01000 /* O_TRUNC is the kernel's business */);
            assertEquals(4096, fx.dir.lookup("/disk0").size());
        }
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** chmod, chown and utimens are stored and reported, so touch, cp -p and rsync behave. */
class AttributesTest {

    @Test
    void chmodStoresThePermissionBitsAndStampsCtime() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            long mtime = fx.dir.lookup("/disk0").mtimeNanos();
            fx.clock.set(10_000_000_000L);
            fx.dir.chmod("/disk0", 0100600);
            DiskFile f = fx.dir.lookup("/disk0");
            assertEquals(0600, f.mode(), "file type bits are dropped");
            assertEquals(10_000_000_000L, f.ctimeNanos());
            assertEquals(mtime, f.mtimeNanos(), "chmod does not touch mtime");
            fx.dir.chmod("/disk0", 07755);
            assertEquals(07755, fx.dir.lookup("/disk0").mode(), "setuid, setgid and sticky are kept");
        }
    }

    @Test
    void chownStoresOwnerAndGroupAndMinusOneLeavesThemAlone() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            fx.clock.set(11_000_000_000L);
            fx.dir.chown("/disk0", 1000, 2000);
            DiskFile f = fx.dir.lookup("/disk0");
            assertEquals(1000, f.uid());
            assertEquals(2000, f.gid());
            assertEquals(11_000_000_000L, f.ctimeNanos());
            fx.dir.chown("/disk0", -1, 3000);
            assertEquals(1000, f.uid(), "uid -1 leaves the owner");
            assertEquals(3000, f.gid());
            fx.dir.chown("/disk0", 4000, -1);
            assertEquals(4000, f.uid());
            assertEquals(3000, f.gid(), "gid -1 leaves the group");
        }
    }

    @Test
    void utimensStoresBothTimes() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            fx.clock.set(50_000_000_000L);
            fx.dir.utimens("/disk0", 1_234_567_891L, 9_876_543_210L);
            DiskFile f = fx.dir.lookup("/disk0");
            assertEquals(1_234_567_891L, f.atimeNanos());
            assertEquals(9_876_543_210L, f.mtimeNanos());
            assertEquals(50_000_000_000L, f.ctimeNanos(), "ctime is the time of the change");
        }
    }

    @Test
    void utimensAcceptsTimesBeforeTheEpoch() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            fx.dir.utimens("/disk0", -1_500_000_000L, 0);
            assertEquals(-1_500_000_000L, fx.dir.lookup("/disk0").atimeNanos());
            assertEquals(0, fx.dir.lookup("/disk0").mtimeNanos());
        }
    }

    @Test
    void utimeNowTakesTheClock() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            fx.clock.set(60_000_000_000L);
            fx.dir.utimens("/disk0", DiskDirectory.UTIME_NOW, DiskDirectory.UTIME_NOW);
            DiskFile f = fx.dir.lookup("/disk0");
            assertEquals(60_000_000_000L, f.atimeNanos());
            assertEquals(60_000_000_000L, f.mtimeNanos());
        }
    }

    @Test
    void utimeOmitLeavesThatTimeAlone() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 512);
            fx.dir.utimens("/disk0", 111, 222);
            fx.clock.set(70_000_000_000L);
            fx.dir.utimens("/disk0", DiskDirectory.UTIME_OMIT, 333);
            DiskFile f = fx.dir.lookup("/disk0");
            assertEquals(111, f.atimeNanos(), "atime omitted");
            assertEquals(333, f.mtimeNanos());
            fx.dir.utimens("/disk0", 444, DiskDirectory.UTIME_OMIT);
            assertEquals(444, f.atimeNanos());
            assertEquals(333, f.mtimeNanos(), "mtime omitted");
            fx.dir.utimens("/disk0", DiskDirectory.UTIME_NOW, DiskDirectory.UTIME_OMIT);
            assertEquals(70_000_000_000L, f.atimeNanos());
            assertEquals(333, f.mtimeNanos());
        }
    }

    @Test
    void attributeChangesOfAMissingDiskAreEnoent() {
        try (Fixture fx = new Fixture()) {
            assertFsErrno(Errno.ENOENT, () -> fx.dir.chmod("/nope", 0600));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.chown("/nope", 1, 1));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.utimens("/nope", 0, 0));
        }
    }

    @Test
    void attributesSurviveRename() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 512);
            fx.dir.chmod("/a", 0600);
            fx.dir.chown("/a", 7, 8);
            fx.dir.utimens("/a", 5, 6);
            fx.dir.rename("/a", "/b");
            DiskFile f = fx.dir.lookup("/b");
            assertEquals(0600, f.mode());
            assertEquals(7, f.uid());
            assertEquals(8, f.gid());
            assertEquals(5, f.atimeNanos());
            assertEquals(6, f.mtimeNanos());
        }
    }

    @Test
    void wallClockIsNanosecondsAtMillisecondResolution() {
        long before = System.currentTimeMillis();
        long now = DiskDirectory.wallClockNanos();
        long after = System.currentTimeMillis();
        assertEquals(0, now % 1_000_000L);
        assertTrue(now >= before * 1_000_000L && now <= after * 1_000_000L, "now " + now);
    }
}

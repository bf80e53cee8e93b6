package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading /proc/self/mountinfo lines. */
class MountTableTest {

    @Test
    void parsesALineWithOptionalFields() {
        MountTable.Entry e = MountTable.parse(
                "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue");
        assertNotNull(e);
        assertEquals(Path.of("/mnt2"), e.mountPoint());
        assertEquals("ext3", e.fsType());
        assertEquals("/dev/root", e.source());
        assertFalse(e.isFuse());
        assertFalse(e.isRamdiskfs());
    }

    @Test
    void parsesALineWithoutOptionalFields() {
        MountTable.Entry e = MountTable.parse("22 27 0:21 / /proc rw,relatime - proc proc rw");
        assertNotNull(e);
        assertEquals(Path.of("/proc"), e.mountPoint());
        assertEquals("proc", e.fsType());
        assertEquals("proc", e.source());
    }

    @Test
    void parsesARamdiskfsMount() {
        MountTable.Entry e = MountTable.parse(
                "612 29 0:61 / /home/me/disks rw,nosuid,nodev,relatime shared:330 - fuse.ramdiskfs ramdiskfs rw,user_id=1000,group_id=1000");
        assertNotNull(e);
        assertEquals(Path.of("/home/me/disks"), e.mountPoint());
        assertTrue(e.isFuse());
        assertTrue(e.isRamdiskfs());
    }

    @Test
    void aPlainFuseMountWithTheRamdiskfsSourceIsOurs() {
        MountTable.Entry e = MountTable.parse("612 29 0:61 / /d rw - fuse ramdiskfs rw,user_id=0");
        assertTrue(e.isFuse());
        assertTrue(e.isRamdiskfs());
    }

    @Test
    void anotherFuseFilesystemIsNotOurs() {
        MountTable.Entry e = MountTable.parse("612 29 0:61 / /d rw - fuse.sshfs me@host:/ rw,user_id=0");
        assertTrue(e.isFuse());
        assertFalse(e.isRamdiskfs());
        assertFalse(MountTable.parse("1 2 0:1 / /d rw - fuseblk /dev/sdb1 rw").isFuse(), "fuseblk is not fuse.*");
    }

    @Test
    void unescapesSpacesAndOtherOctalEscapesInTheMountPoint() {
        MountTable.Entry e = MountTable.parse(
                "612 29 0:61 / /home/me/my\\040disks\\011tab\\134back rw shared:1 - fuse.ramdiskfs ram\\040diskfs rw");
        assertNotNull(e);
        assertEquals(Path.of("/home/me/my disks\ttab\\back"), e.mountPoint());
        assertEquals("ram diskfs", e.source());
    }

    @Test
    void unescapeKeepsWhatIsNotAnEscape() {
        assertEquals("plain", MountTable.unescape("plain"));
        assertEquals("a b", MountTable.unescape("a\\040b"));
        assertEquals("end ", MountTable.unescape("end\\040"), "an escape at the very end");
        assertEquals("\n", MountTable.unescape("\\012"));
        assertEquals("a\\04", MountTable.unescape("a\\04"), "too short to be an escape");
        assertEquals("a\\", MountTable.unescape("a\\"));
        assertEquals("a\\09x", MountTable.unescape("a\\09x"), "9 is not octal");
        assertEquals("a\\xyz", MountTable.unescape("a\\xyz"));
        assertEquals("  ", MountTable.unescape("\\040\\040"));
    }

    @Test
    void malformedLinesAreNull() {
        assertNull(MountTable.parse(""));
        assertNull(MountTable.parse("36 35 98:0 /mnt1"));
        assertNull(MountTable.parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw"), "no separator");
        assertNull(MountTable.parse("36 35 98:0 /mnt1 /mnt2 rw -"), "nothing after the separator");
        assertNull(MountTable.parse("36 35 98:0 /mnt1 /mnt2 rw - ext3"), "no source");
    }

    @Test
    void aDashInTheMountPointIsNotTheSeparator() {
        MountTable.Entry e = MountTable.parse("1 2 0:1 / - rw - tmpfs tmpfs rw");
        assertNotNull(e);
        assertEquals(Path.of("-"), e.mountPoint());
        assertEquals("tmpfs", e.fsType());
    }

    @Test
    void findsTheRootMountOfThisProcess() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/mountinfo")), "needs /proc");
        Optional<MountTable.Entry> root = MountTable.find(Path.of("/"));
        assertTrue(root.isPresent(), "/ is always mounted");
        assertEquals(Path.of("/"), root.get().mountPoint());
    }

    @Test
    void aPlainDirectoryIsNotAMount(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/mountinfo")), "needs /proc");
        Path d = Files.createDirectory(tmp.resolve("not mounted"));
        assertTrue(MountTable.find(d).isEmpty());
    }
}

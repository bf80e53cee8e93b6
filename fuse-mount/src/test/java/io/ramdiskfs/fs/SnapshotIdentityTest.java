package io.ramdiskfs.fs;

import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue #20 item 5: a snapshot belongs to the disk it was taken of (its identity, the inode
 * number), not to the name the disk had. A new disk given a deleted disk's name must not roll back
 * to the deleted disk's data (root's secret, alice's new disk); disks swapped by {@code mv} go
 * back each to its own data, under the names they have now; and a user may not add her disk to
 * another user's snapshot.
 */
class SnapshotIdentityTest {
    private static final int ALICE = 1000;
    private static final int SIZE = 64 << 10;

    @Test
    void aNewDiskReusingADeletedDisksNameDoesNotRollBackToItsData() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("secret", SIZE);
            fx.writePattern(fh, 0, SIZE, 1);
            fx.dir.release(fh);
            fx.dir.chmod("/secret", 0600);
            fx.dir.setXattr("/secret", ControlAttributes.SNAPSHOT, "nightly", 0, 0);
            fx.dir.unlink("/secret");

            long mine = fx.dir.create("/secret", 0644, ALICE, ALICE);
            fx.dir.release(mine);
            FsException e = assertThrows(FsException.class,
                    () -> fx.dir.setXattr("/secret", ControlAttributes.ROLLBACK, "nightly", ALICE, ALICE));
            assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("nightly") && e.getMessage().contains("secret"), "names the snapshot and disk: " + e.getMessage());
            assertEquals(0, fx.dir.lookup("/secret").size(), "alice's disk is as she made it: empty");

            FsException all = assertThrows(FsException.class, () -> fx.dir.rollback("/", "nightly"));
            assertEquals(Errno.ENOENT, all.errno(), all.getMessage());
            assertTrue(all.getMessage().contains("secret"), all.getMessage());
            assertEquals(0, fx.dir.lookup("/secret").size(), "a whole-mount rollback does not give it the old data either");
            assertEquals("", new String(fx.dir.xattr("/secret", ControlAttributes.SNAPSHOTS), StandardCharsets.UTF_8),
                    "no snapshot holds alice's disk");
        }
    }

    @Test
    void disksSwappedByRenameRollBackEachToItsOwnData() throws Exception {
        try (Fixture fx = new Fixture()) {
            for (String d : List.of("a", "b")) {
                long fh = fx.addOpen(d, SIZE);
                fx.writePattern(fh, 0, SIZE, d.charAt(0));
                fx.dir.release(fh);
            }
            fx.dir.snapshotAll("s");
            for (String d : List.of("a", "b")) {
                long fh = fx.dir.open("/" + d, O_RDWR);
                fx.writePattern(fh, 0, SIZE, 7);
                fx.dir.release(fh);
            }
            fx.dir.rename("/a", "/t");
            fx.dir.rename("/b", "/a");
            fx.dir.rename("/t", "/b");

            fx.dir.rollback("/", "s");
            // the disk now named a was b when the snapshot was taken: it gets b's data back
            assertPattern(fx, "a", 'b');
            assertPattern(fx, "b", 'a');
            assertEquals("s", new String(fx.dir.xattr("/a", ControlAttributes.SNAPSHOTS), StandardCharsets.UTF_8));

            long fh = fx.dir.open("/a", O_RDWR);
            fx.writePattern(fh, 0, SIZE, 7);
            fx.dir.release(fh);
            fx.dir.rollback("/a", "s");
            assertPattern(fx, "a", 'b');
        }
    }

    @Test
    void aUserMayNotAddHerDiskToAnotherUsersSnapshot() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("rootdisk", SIZE);
            fx.dir.snapshotAll("nightly");
            long fh = fx.dir.create("/hers", 0644, ALICE, ALICE);
            fx.dir.release(fh);

            FsException e = assertThrows(FsException.class,
                    () -> fx.dir.setXattr("/hers", ControlAttributes.SNAPSHOT, "nightly", ALICE, ALICE));
            assertEquals(Errno.EACCES, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("nightly") && e.getMessage().contains("hers"), e.getMessage());
            assertEquals(List.of("rootdisk"), fx.dir.list("/.snap/nightly"));

            fx.dir.setXattr("/hers", ControlAttributes.SNAPSHOT, "alices", ALICE, ALICE);
            fx.add("other", SIZE);
            fx.dir.chown("/other", ALICE, ALICE);
            fx.dir.setXattr("/other", ControlAttributes.SNAPSHOT, "alices", ALICE, ALICE);
            assertEquals(List.of("hers", "other"), fx.dir.list("/.snap/alices"), "her own snapshot takes her disks");
            fx.dir.setXattr("/rootdisk", ControlAttributes.SNAPSHOT, "alices", 0, 0); // root may
        }
    }

    @Test
    void aSnapshotHoldsOneDiskPerNameAndFollowsItsDiskThroughRenames() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", SIZE);
            fx.dir.setXattr("/a", ControlAttributes.SNAPSHOT, "s", 0, 0);
            fx.dir.rename("/a", "/renamed");
            assertFsErrno(Errno.EEXIST, () -> fx.dir.setXattr("/renamed", ControlAttributes.SNAPSHOT, "s", 0, 0),
                    "the snapshot holds this disk already, under its old name");
            fx.add("a", SIZE);
            assertFsErrno(Errno.EEXIST, () -> fx.dir.setXattr("/a", ControlAttributes.SNAPSHOT, "s", 0, 0),
                    "another disk is listed as a in s");
            assertEquals("s", new String(fx.dir.xattr("/renamed", ControlAttributes.SNAPSHOTS), StandardCharsets.UTF_8));
            assertEquals("", new String(fx.dir.xattr("/a", ControlAttributes.SNAPSHOTS), StandardCharsets.UTF_8));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.rollback("/a", "s"), "the new a is not the snapshotted one");
            fx.dir.rollback("/renamed", "s");
            fx.dir.rollback("/", "s");
        }
    }

    private static void assertPattern(Fixture fx, String disk, int seed) throws Exception {
        long fh = fx.dir.open("/" + disk, Fixture.O_RDONLY);
        try {
            fx.assertPattern(fh, 0, SIZE, seed);
        } finally {
            fx.dir.release(fh);
        }
    }
}

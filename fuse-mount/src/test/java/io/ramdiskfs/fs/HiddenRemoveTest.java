package io.ramdiskfs.fs;

import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disks.Errno;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue #20 item 10: libfuse2 answers {@code rm} of an open file by renaming it to
 * {@code .fuse_hiddenNNNN}, then unlinks that name after the last release. The disk leaves the
 * namespace at the rename (not listed, not in a group snapshot, whose rollback would fail once the
 * name went) and is kept, by that name, for the open handles until the last release frees it.
 */
class HiddenRemoveTest {
    private static final String HIDDEN = "/.fuse_hidden0000000200000001";

    @Test
    void anOpenDiskHiddenByLibfuseLeavesTheNamespaceAndLivesUntilItsLastRelease() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("keep", 64 << 10);
            long fh = fx.addOpen("gone", 64 << 10);
            fx.writePattern(fh, 0, 64 << 10, 3);
            long used = fx.budget.used();

            fx.dir.rename("/gone", HIDDEN);
            assertEquals(List.of("keep"), fx.dir.names());
            assertEquals(List.of("keep"), fx.dir.list("/"));
            assertTrue(fx.dir.find(HIDDEN.substring(1)).isEmpty(), "the doors do not see it");
            assertSame(fx.dir.file(fh), fx.dir.lookup(HIDDEN), "libfuse's getattr of the open handle finds it by the hidden name");
            fx.dir.snapshotAll("s");
            assertEquals(List.of("keep"), fx.dir.list("/.snap/s"));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.setXattr(HIDDEN, ControlAttributes.SNAPSHOT, "s", 0, 0),
                    "a snapshot of a removed disk (fsetxattr on its descriptor)");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.rollback(HIDDEN, "s"));
            fx.assertPattern(fh, 0, 64 << 10, 3);
            assertEquals(used, fx.budget.used(), "the open disk keeps its memory");

            fx.dir.release(fh);
            assertTrue(fx.budget.used() < used, "the last release frees it: " + fx.budget.used() + " of " + used);
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup(HIDDEN));
            // libfuse's unlink of the hidden name, after the release (it ignores the answer): nothing left
            assertFsErrno(Errno.ENOENT, () -> fx.dir.unlink(HIDDEN));
            fx.dir.rollback("/", "s");
        }
    }

    @Test
    void theUnlinkOfTheHiddenNameWhileAHandleIsOpenLeavesTheDiskToTheHandle() throws Exception {
        try (Fixture fx = new Fixture()) {
            long a = fx.addOpen("d", 4096);
            long b = fx.dir.open("/d", Fixture.O_RDONLY);
            fx.dir.rename("/d", HIDDEN);
            fx.dir.release(a);
            fx.dir.unlink(HIDDEN);
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup(HIDDEN));
            assertEquals(4096, fx.dir.file(b).size());
            fx.dir.release(b);
        }
    }

    @Test
    void aDiskMovedToAHiddenNameWithNoHandleOpenIsRemoved() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("d", 4096);
            fx.dir.rename("/d", HIDDEN);
            assertEquals(List.of(), fx.dir.names());
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup(HIDDEN));
            assertFsErrno(Errno.ENOENT, () -> fx.dir.unlink(HIDDEN));
        }
    }
}

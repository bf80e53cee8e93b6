package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A clone by attribute creates a disk in the root, which the kernel never sees as a create: the
 * daemon checks write permission on the root (root:root 0755) itself. Regression: the owner of
 * one disk on an {@code allow_other} mount could add disks with {@code setfattr -n
 * user.ramdiskfs.clone} (PermissionsIT).
 */
class ClonePermissionTest {
    private static final int NOBODY = 65534;

    @Test
    void onlyRootMayCloneByAttributeAndARefusalAddsNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("mine", 4096);
            fx.dir.chown("/mine", NOBODY, NOBODY);

            assertFsErrno(Errno.EACCES, () -> fx.dir.setXattr("/mine", ControlAttributes.CLONE, "copy", NOBODY, NOBODY));
            assertFsErrno(Errno.EACCES, () -> fx.dir.setXattr("/mine", ControlAttributes.CLONE, "copy", NOBODY, 0));
            assertEquals(List.of("mine"), fx.dir.names());

            fx.dir.setXattr("/mine", ControlAttributes.CLONE, "copy", 0, 0);
            assertEquals(List.of("copy", "mine"), fx.dir.names().stream().sorted().toList());
        }
    }

    @Test
    void onAReadOnlyMountTheAnswerIsErofsForEveryone() throws Exception {
        try (Fixture fx = Fixture.readOnlyMount()) {
            fx.add("disk", 4096);
            assertFsErrno(Errno.EROFS, () -> fx.dir.setXattr("/disk", ControlAttributes.CLONE, "copy", NOBODY, NOBODY));
            assertFsErrno(Errno.EROFS, () -> fx.dir.setXattr("/disk", ControlAttributes.CLONE, "copy", 0, 0));
        }
    }
}

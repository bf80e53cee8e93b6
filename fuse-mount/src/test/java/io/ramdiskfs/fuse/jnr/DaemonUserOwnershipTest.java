package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.fs.ControlAttributes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.fs.DaemonUser;
import io.ramdiskfs.fs.DiskDirectory;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FileStat;

/**
 * The mount root, {@code .snap} and {@code .snap/NAME} belong to the user the daemon runs as
 * (SPEC section 10): an ordinary user's mount reports that user, so the kernel's
 * {@code default_permissions} lets them create disks and snapshots; a root daemon's reports root,
 * as it always did. A clone by attribute follows the same rule as the kernel's check of a create.
 */
class DaemonUserOwnershipTest {
    private static final DaemonUser ALICE = new DaemonUser(1234, 2345);

    private static DiskDirectory directoryOwnedBy(DaemonUser owner) {
        MemoryBudget budget = MemoryBudget.unlimited();
        DiskDirectory dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, 512, budget), false), budget, false,
                () -> 0L, owner);
        dir.add("disk0", LayeredDisk.of(RamLayer.create(4096, 512, budget), false), owner.uid(), owner.gid());
        return dir;
    }

    /** uid and gid of {@code path} as getattr answers libfuse. */
    private static List<Long> ownerOf(JnrFuseAdapter adapter, String path) {
        FileStat st = FileStat.of(Memory.allocateDirect(Runtime.getSystemRuntime(), 256, true));
        assertEquals(0, adapter.getattr(path, st), "getattr " + path);
        return List.of(st.st_uid.longValue(), st.st_gid.longValue());
    }

    @Test
    void rootSnapAndASnapshotBelongToTheDaemonsUser() throws Exception {
        DiskDirectory dir = directoryOwnedBy(ALICE);
        JnrFuseAdapter adapter = new JnrFuseAdapter(dir, true, false, () -> new JnrFuseAdapter.Caller(ALICE.uid(), ALICE.gid()));
        try {
            assertEquals(0, adapter.mkdir("/.snap/s1", 0755));
            List<Long> alice = List.of(1234L, 2345L);
            for (String path : List.of("/", "/.snap", "/.snap/s1", "/disk0", "/.snap/s1/disk0")) {
                assertEquals(alice, ownerOf(adapter, path), path);
            }
        } finally {
            adapter.closeCallbacks();
            dir.closeAll();
        }
    }

    @Test
    void aRootDaemonsDirectoriesAreRootsAsBefore() throws Exception {
        DiskDirectory dir = directoryOwnedBy(DaemonUser.ROOT);
        JnrFuseAdapter adapter = new JnrFuseAdapter(dir, true, false, () -> new JnrFuseAdapter.Caller(0, 0));
        try {
            assertEquals(0, adapter.mkdir("/.snap/s1", 0755));
            for (String path : List.of("/", "/.snap", "/.snap/s1")) {
                assertEquals(List.of(0L, 0L), ownerOf(adapter, path), path);
            }
        } finally {
            adapter.closeCallbacks();
            dir.closeAll();
        }
    }

    @Test
    void theDaemonsUserMayCloneAndSaveByAttributeAndNoOtherUserMay() throws Exception {
        DiskDirectory dir = directoryOwnedBy(ALICE);
        try {
            dir.setXattr("/disk0", ControlAttributes.CLONE, "copy", ALICE.uid(), ALICE.gid());
            assertEquals(List.of("copy", "disk0"), dir.names().stream().sorted().toList());
            // Another user, even one in the owner's group (the root is 0755): no create, no save.
            for (int[] other : new int[][] {{4321, ALICE.gid()}, {4321, 4321}}) {
                io.ramdiskfs.disks.FsException e = org.junit.jupiter.api.Assertions.assertThrows(io.ramdiskfs.disks.FsException.class,
                        () -> dir.setXattr("/disk0", ControlAttributes.CLONE, "theirs", other[0], other[1]));
                assertEquals(Errno.EACCES, e.errno(), e.getMessage());
                e = org.junit.jupiter.api.Assertions.assertThrows(io.ramdiskfs.disks.FsException.class,
                        () -> dir.setXattr("/disk0", ControlAttributes.SAVE, "/tmp/theirs.raw", other[0], other[1]));
                assertEquals(Errno.EACCES, e.errno(), e.getMessage());
            }
            assertEquals(List.of("copy", "disk0"), dir.names().stream().sorted().toList(), "a refusal adds nothing");
            // Root may, as on any mount.
            dir.setXattr("/disk0", ControlAttributes.CLONE, "roots", 0, 0);
            assertEquals(3, dir.names().size());
        } finally {
            dir.closeAll();
        }
    }
}

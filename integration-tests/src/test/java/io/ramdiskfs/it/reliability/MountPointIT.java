package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountOptions;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Where a mount comes up (issue 20, item 12). A mount point under a symbolic link is listed by
 * the kernel under the link's target: the mount must be found there, not waited for until the
 * timeout and then left behind, dead, with its disks freed under a loop that still served it.
 */
@RequiresFuse(tools = {"dd", "cmp", "fusermount"})
class MountPointIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void aMountPointUnderASymbolicLinkComesUpAndServes() throws Exception {
        Path real = disks.newDir("real");
        Path link = disks.testDir().resolve("link-" + real.getFileName());
        Files.createSymbolicLink(link, real);
        Files.createDirectory(real.resolve("mnt"));
        RamDiskFs fs = disks.mount(MountOptions.of(link.resolve("mnt"), List.of(DiskDefinition.ram("disk0", 16 * MiB))));
        assertEquals(real.toRealPath().resolve("mnt"), fs.mountPoint(), "the mount is where the kernel lists it");
        assertTrue(MountInfo.isLiveRamdiskfs(real.resolve("mnt")), MountInfo.describe());

        Path pattern = Data.random(disks.testDir().resolve("pattern"), 4 * MiB, 121);
        Tools.dd("if=" + pattern, "of=" + link.resolve("mnt/disk0"), "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Cmd.ok("cmp", "-n", String.valueOf(4 * MiB), pattern.toString(), link.resolve("mnt/disk0").toString());
    }
}

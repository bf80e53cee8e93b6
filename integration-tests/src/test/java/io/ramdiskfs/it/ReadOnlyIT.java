package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A read-only disk or mount refuses writes, truncate and fallocate with EROFS, and still reads. */
@RequiresFuse(tools = {"dd", "truncate", "fallocate", "cmp", "touch"})
class ReadOnlyIT {
    static final String EROFS = "Read-only file system";

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    @Test
    void aReadOnlyDiskRefusesEveryChangeAndItsNeighbourDoesNot() {
        Path image = Data.random(tmp.resolve("base.raw"), 2 * MiB, 41);
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("ro", image).asReadOnly(), DiskDefinition.ram("rw", MiB));
        Path ro = fs.mountPoint().resolve("ro");

        Tools.dd("if=/dev/zero", "of=" + ro, "bs=4k", "count=1", "conv=notrunc").assertFailsWith(EROFS);
        Cmd.run("truncate", "-s", "1M", ro.toString()).assertFailsWith(EROFS);
        Cmd.run("fallocate", "--punch-hole", "--offset", "0", "--length", "4096", ro.toString()).assertFailsWith(EROFS);

        Tools.cmp(image, ro);
        Tools.dd("if=/dev/zero", "of=" + fs.mountPoint().resolve("rw"), "bs=4k", "count=1", "conv=notrunc").assertOk();
    }

    @Test
    void aReadOnlyMountRefusesNewDisksAndWrites() {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", MiB)).withReadOnly(true));

        Cmd.run("touch", fs.mountPoint().resolve("new").toString()).assertFailsWith(EROFS);
        Tools.dd("if=/dev/zero", "of=" + fs.mountPoint().resolve("disk0"), "bs=4k", "count=1", "conv=notrunc").assertFailsWith(EROFS);
        Tools.cmpZeros(fs.mountPoint().resolve("disk0"), 0, MiB);
    }
}

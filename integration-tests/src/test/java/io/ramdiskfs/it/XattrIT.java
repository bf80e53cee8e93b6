package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** getfattr -d shows each disk's layers, committed bytes and sector size. */
@RequiresFuse(tools = {"getfattr", "setfattr", "dd", "fallocate"})
class XattrIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    @Test
    void aRamDiskShowsOneRamLayerItsCommittedBytesAndSectorSize() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 8 * MiB));
        Path disk = fs.mountPoint().resolve("disk0");
        Tools.dd("if=/dev/urandom", "of=" + disk, "bs=1M", "count=2", "conv=notrunc").assertOk();

        // On the passthrough lane the one layer is the disk's tmpfs file.
        String layers = MountedDisks.passthroughLane() ? "tmpfs:passthrough file, " + 8 * MiB + " bytes" : "ram";
        assertEquals(Map.of("user.ramdiskfs.layers", layers,
                "user.ramdiskfs.committed_bytes", Long.toString(2 * MiB),
                "user.ramdiskfs.sector_size", "512",
                "user.ramdiskfs.snapshots", ""), Tools.getfattr(disk));
    }

    @Test
    void committedBytesDropAfterAPunch() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 8 * MiB));
        Path disk = fs.mountPoint().resolve("disk0");
        Tools.dd("if=/dev/urandom", "of=" + disk, "bs=1M", "count=8", "conv=notrunc").assertOk();

        Tools.punchHole(disk, 0, 5 * MiB);

        assertEquals(3 * MiB, Tools.committedBytes(disk));
    }

    @Test
    void aMountWith4096ByteSectorsSaysSo() {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", 8 * MiB)).withSectorSize(4096));

        assertEquals("4096", Tools.getfattr(fs.mountPoint().resolve("disk0")).get("user.ramdiskfs.sector_size"));
    }

    @Test
    void aMemdiffDiskShowsTheRamLayerOverTheImageFile() {
        Path image = Data.random(tmp.resolve("base.raw"), 4 * MiB, 31);
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image));
        Path disk = fs.mountPoint().resolve("vm");

        Map<String, String> attrs = Tools.getfattr(disk);

        assertEquals("ram over file:" + image.toAbsolutePath(), attrs.get("user.ramdiskfs.layers"));
        assertEquals("0", attrs.get("user.ramdiskfs.committed_bytes"), "the image's data is not RAM");
    }

    @Test
    void theAttributesCannotBeSet() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", MiB));
        Path disk = fs.mountPoint().resolve("disk0");

        Cmd.Result r = Cmd.run("setfattr", "-n", "user.ramdiskfs.sector_size", "-v", "4096", disk.toString());

        assertEquals(false, r.ok(), r.describe());
        assertEquals("512", Tools.getfattr(disk).get("user.ramdiskfs.sector_size"));
    }
}

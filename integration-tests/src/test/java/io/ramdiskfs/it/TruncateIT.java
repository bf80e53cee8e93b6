package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** truncate resizes a disk: grown space reads zeros, shrunk data is gone for good, odd sizes are refused. */
@RequiresFuse(tools = {"truncate", "dd", "cmp", "du", "stat"})
class TruncateIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path disk;
    Path source;

    @BeforeEach
    void mountADiskHoldingFourMiB() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 4 * MiB));
        disk = fs.mountPoint().resolve("disk0");
        source = Data.random(tmp.resolve("source"), 4 * MiB, 11);
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
    }

    @Test
    void growKeepsTheDataAndTheNewPartReadsZeros() {
        Cmd.ok("truncate", "-s", "64M", disk.toString());

        assertEquals(64 * MiB, Tools.statSize(disk));
        Tools.cmp(source, 0, disk, 0, 4 * MiB);
        Tools.cmpZeros(disk, 4 * MiB, 60 * MiB);
        assertEquals(4 * MiB, Tools.du(disk), "growing must not commit memory");
    }

    @Test
    void shrinkThenGrowReadsZerosNotTheOldData() {
        Cmd.ok("truncate", "-s", "1M", disk.toString());
        assertEquals(MiB, Tools.statSize(disk));
        assertTrue(Tools.du(disk) <= MiB, "shrinking must release the memory past the end, du says " + Tools.du(disk));

        Cmd.ok("truncate", "-s", "4M", disk.toString());

        Tools.cmp(source, 0, disk, 0, MiB);
        Tools.cmpZeros(disk, MiB, 3 * MiB);
    }

    @Test
    void sizeThatIsNotAWholeSectorIsRefusedWithEinvalAndChangesNothing() {
        Cmd.run("truncate", "-s", "1000", disk.toString()).assertFailsWith("Invalid argument");

        assertEquals(4 * MiB, Tools.statSize(disk));
        Tools.cmp(source, disk);
    }

    @Test
    void truncateToZeroEmptiesTheDiskAndFreesItsMemory() {
        Cmd.ok("truncate", "-s", "0", disk.toString());

        assertEquals(0, Tools.statSize(disk));
        assertEquals(0, Tools.du(disk));
        assertEquals(0, Tools.committedBytes(disk));
    }

    @Test
    void ddWritingPastTheEndGrowsTheDiskLikeASparseFile() {
        Path more = Data.random(tmp.resolve("more"), MiB, 12);

        Tools.dd("if=" + more, "of=" + disk, "bs=1M", "seek=10", "conv=notrunc").assertOk();

        assertEquals(11 * MiB, Tools.statSize(disk));
        Tools.cmp(source, 0, disk, 0, 4 * MiB);
        Tools.cmpZeros(disk, 4 * MiB, 6 * MiB);
        Tools.cmp(more, 0, disk, 10 * MiB, MiB);
    }
}

package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.KiB;
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

/** fallocate punch-hole and zero-range read zeros afterwards and give the memory back (du drops). */
@RequiresFuse(tools = {"fallocate", "dd", "cmp", "du"})
class FallocateIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path disk;
    Path source;
    Path expected;

    @BeforeEach
    void mountADiskFullOfData() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 16 * MiB));
        disk = fs.mountPoint().resolve("disk0");
        source = Data.random(tmp.resolve("source"), 16 * MiB, 21);
        expected = Data.copy(source, tmp.resolve("expected"));
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        assertEquals(16 * MiB, Tools.du(disk), "du of a full disk");
    }

    @Test
    void punchHoleReadsZerosThereAndDataAroundItAndDuDrops() {
        Tools.punchHole(disk, 4 * MiB, 6 * MiB);

        Tools.cmpZeros(disk, 4 * MiB, 6 * MiB);
        Data.zeroAt(expected, 4 * MiB, 6 * MiB);
        Tools.cmp(expected, disk);
        assertEquals(10 * MiB, Tools.du(disk), "du after punching 6 MiB of 16");
        assertEquals(16 * MiB, Tools.statSize(disk), "punch-hole keeps the size");
    }

    @Test
    void zeroRangeReadsZerosAndDuDrops() {
        Tools.zeroRange(disk, 8 * MiB, 4 * MiB);

        Data.zeroAt(expected, 8 * MiB, 4 * MiB);
        Tools.cmp(expected, disk);
        assertEquals(12 * MiB, Tools.du(disk));
        assertEquals(16 * MiB, Tools.statSize(disk));
    }

    @Test
    void unalignedPunchZerosExactlyTheRangeAndKeepsTheBytesAroundIt() {
        long offset = 3 * MiB + 100;
        long length = 70 * KiB + 333;

        Tools.punchHole(disk, offset, length);

        Data.zeroAt(expected, offset, length);
        Tools.cmp(expected, disk);
        Data.assertZeros(disk, offset, length);
    }

    @Test
    void punchingEverythingLeavesNothingCommitted() {
        Tools.punchHole(disk, 0, 16 * MiB);

        Tools.cmpZeros(disk, 0, 16 * MiB);
        assertEquals(0, Tools.du(disk));
        assertEquals(0, Tools.committedBytes(disk));
    }

    @Test
    void writingIntoAPunchedHoleWorksAndCommitsAgain() {
        Tools.punchHole(disk, 0, 8 * MiB);
        Path fresh = Data.random(tmp.resolve("fresh"), 2 * MiB, 22);

        Tools.dd("if=" + fresh, "of=" + disk, "bs=1M", "seek=1", "conv=notrunc").assertOk();

        Data.zeroAt(expected, 0, 8 * MiB);
        Data.copyRange(fresh, 0, expected, MiB, 2 * MiB);
        Tools.cmp(expected, disk);
        assertEquals(10 * MiB, Tools.du(disk));
    }

    @Test
    void zeroRangePastTheEndGrowsTheDisk() {
        Tools.zeroRange(disk, 16 * MiB, 4 * MiB);

        assertEquals(20 * MiB, Tools.statSize(disk), "ZERO_RANGE without KEEP_SIZE extends the file");
        Tools.cmp(source, 0, disk, 0, 16 * MiB);
        Tools.cmpZeros(disk, 16 * MiB, 4 * MiB);
    }

    @Test
    void plainFallocateGrowsTheDiskWithoutCommittingMemory() {
        Cmd.ok("fallocate", "--length", "64M", disk.toString());

        assertEquals(64 * MiB, Tools.statSize(disk));
        assertEquals(16 * MiB, Tools.du(disk));
        Tools.cmp(source, 0, disk, 0, 16 * MiB);
        Tools.cmpZeros(disk, 16 * MiB, 48 * MiB);
    }

    @Test
    void fallocateKeepSizeChangesNothing() {
        Cmd.ok("fallocate", "--keep-size", "--offset", "8M", "--length", "64M", disk.toString());

        assertEquals(16 * MiB, Tools.statSize(disk));
        Tools.cmp(source, disk);
    }

    @Test
    void collapseRangeIsNotSupported() {
        Cmd.run("fallocate", "--collapse-range", "--offset", "0", "--length", "1M", disk.toString())
                .assertFailsWith("Operation not supported");

        Tools.cmp(source, disk);
    }

    @Test
    void duAfterPunchingHalfOfEveryChunkDropsOnlyWhereWholeChunksAreFree() {
        // 64 KiB chunks: punch [0, 4M) whole and the first half of each 64 KiB in [8M, 12M)
        Tools.punchHole(disk, 0, 4 * MiB);
        for (long off = 8 * MiB; off < 12 * MiB; off += 64 * KiB) {
            Tools.punchHole(disk, off, 32 * KiB);
            Data.zeroAt(expected, off, 32 * KiB);
        }
        Data.zeroAt(expected, 0, 4 * MiB);

        Tools.cmp(expected, disk);
        long du = Tools.du(disk);
        assertTrue(du <= 12 * MiB && du >= 10 * MiB,
                "du " + du + ": 4 MiB freed whole, the half-punched 4 MiB may keep up to all of its chunks");
    }
}

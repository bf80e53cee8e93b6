package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** dd writes land at the right bytes, with and without notrunc, aligned or not, buffered or O_DIRECT. */
@RequiresFuse(tools = {"dd", "cmp", "stat"})
class DdIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path disk;
    Path source;

    @BeforeEach
    void mountOneDisk() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 16 * MiB));
        disk = fs.mountPoint().resolve("disk0");
        source = Data.random(tmp.resolve("source"), 16 * MiB, 1);
    }

    @Test
    void alignedWriteWithNotruncReadsBackAndKeepsTheSize() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "count=16", "conv=notrunc").assertOk();

        Tools.cmp(source, disk);
        assertEquals(16 * MiB, Tools.statSize(disk));
    }

    @Test
    void unalignedWriteWithBs1000LandsAtExactlyTheSeekOffsetAndNowhereElse() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        Path other = Data.random(tmp.resolve("other"), 37_000, 2);
        Path expected = tmp.resolve("expected");
        Data.copy(source, expected);
        Data.copyRange(other, 0, expected, 7_000, 37_000);

        Tools.dd("if=" + other, "of=" + disk, "bs=1000", "seek=7", "count=37", "conv=notrunc").assertOk();

        Tools.cmp(expected, disk);
    }

    @Test
    void unalignedReadWithBs1000SkipsToTheExactOffset() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        Path out = tmp.resolve("out");

        Tools.dd("if=" + disk, "of=" + out, "bs=1000", "skip=4099", "count=13").assertOk();

        assertEquals(13_000, Data.size(out));
        Tools.cmp(source, 4_099_000, out, 0, 13_000);
    }

    @Test
    void ddWithoutNotruncTruncatesFirstSoTheDiskHoldsExactlyWhatWasWritten() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        Path small = Data.random(tmp.resolve("small"), 3 * MiB, 3);

        Tools.dd("if=" + small, "of=" + disk, "bs=1M").assertOk();

        assertEquals(3 * MiB, Tools.statSize(disk), "dd opens with O_TRUNC: the old 16 MiB must be gone");
        Tools.cmp(small, disk);
    }

    @Test
    void ddWithSeekButNoNotruncCutsTheDiskAtTheEndOfTheWriteAndKeepsWhatIsBeforeTheSeek() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        Path small = Data.random(tmp.resolve("small"), MiB, 4);

        Tools.dd("if=" + small, "of=" + disk, "bs=1M", "seek=2", "count=1").assertOk();

        assertEquals(3 * MiB, Tools.statSize(disk), "dd ftruncates to seek*bs, then writes 1 MiB");
        Tools.cmp(source, 0, disk, 0, 2 * MiB);
        Tools.cmp(small, 0, disk, 2 * MiB, MiB);
    }

    @Test
    void ddOfAnUnalignedAmountWithoutNotruncGrowsTheDiskToAWholeSector() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();

        Tools.dd("if=" + source, "of=" + disk, "bs=1000", "count=3").assertOk();

        assertEquals(3072, Tools.statSize(disk), "3000 bytes written after O_TRUNC: the disk is 6 sectors of 512");
        Tools.cmp(source, 0, disk, 0, 3000);
        Tools.cmpZeros(disk, 3000, 72);
    }

    @Test
    void readingAcrossTheEndIsShortAndPastTheEndGivesNothing() {
        Path out = tmp.resolve("out");

        Tools.dd("if=" + disk, "of=" + out, "bs=1M", "skip=15", "count=4").assertOk();
        assertEquals(MiB, Data.size(out), "a read across the end stops at the end");

        Tools.dd("if=" + disk, "of=" + out, "bs=1M", "skip=16", "count=4").assertOk();
        assertEquals(0, Data.size(out), "a read at the end gives 0 bytes");
    }

    @Test
    void unalignedWriteOnA4096ByteSectorDiskKeepsTheRestOfEachSector() {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("big-sectors", 16 * MiB)).withSectorSize(4096));
        Path d = fs.mountPoint().resolve("big-sectors");
        Tools.dd("if=" + source, "of=" + d, "bs=1M", "conv=notrunc").assertOk();
        Path other = Data.random(tmp.resolve("other"), 5_000, 5);
        Path expected = Data.copy(source, tmp.resolve("expected"));
        Data.copyRange(other, 0, expected, 4_095 * 1000L, 5_000);

        Tools.dd("if=" + other, "of=" + d, "bs=1000", "seek=4095", "count=5", "conv=notrunc").assertOk();

        Tools.cmp(expected, d);
    }

    @Test
    void directIoWriteAndReadRoundTrip() {
        Tools.dd("if=" + source, "of=" + disk, "bs=1M", "count=16", "conv=notrunc", "oflag=direct").assertOk();
        Path back = tmp.resolve("back");

        Tools.dd("if=" + disk, "of=" + back, "bs=1M", "iflag=direct").assertOk();

        Tools.cmp(source, back);
    }

    @Test
    void directIoWithSmallBlocksAtAnOffset() {
        Tools.dd("if=" + source, "of=" + disk, "bs=4k", "seek=1001", "count=300", "conv=notrunc", "oflag=direct").assertOk();

        Tools.cmpZeros(disk, 0, 1001 * 4096L);
        Tools.cmp(source, 0, disk, 1001 * 4096L, 300 * 4096L);
        Tools.cmpZeros(disk, 1301 * 4096L, 16 * MiB - 1301 * 4096L);
    }

    @Test
    void ddToANewNameCreatesADiskOfExactlyThatSize() {
        Path created = disk.resolveSibling("new.img");

        Tools.dd("if=" + source, "of=" + created, "bs=1M", "count=5").assertOk();

        assertEquals(5 * MiB, Tools.statSize(created));
        Tools.cmp(source, 0, created, 0, 5 * MiB);
    }
}

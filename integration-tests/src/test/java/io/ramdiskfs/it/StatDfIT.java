package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** stat and ls show the disk's size and the memory it holds; df shows the memory budget and its use. */
@RequiresFuse(tools = {"stat", "df", "ls", "dd"})
class StatDfIT {
    static final long LIMIT = 96 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    RamDiskFs fs;

    @BeforeEach
    void mountTwoDisksUnderA96MiBBudget() {
        fs = disks.mount(disks.options(DiskDefinition.ram("a", 1L << 40), DiskDefinition.ram("b", 32 * MiB)).withMemoryLimit(LIMIT));
    }

    @Test
    void anEmptyTebibyteDiskHasItsSizeAndNoBlocks() {
        Path a = fs.mountPoint().resolve("a");

        assertEquals(1L << 40, Tools.statSize(a));
        assertEquals(0, Tools.statBlocks(a));
        assertEquals("regular file", Cmd.ok("stat", "-c", "%F", a.toString()).out());
    }

    @Test
    void blocksFollowTheWrittenData() {
        Path b = fs.mountPoint().resolve("b");

        Tools.dd("if=/dev/urandom", "of=" + b, "bs=1M", "count=3", "conv=notrunc").assertOk();

        assertEquals(3 * MiB / 512, Tools.statBlocks(b), "st_blocks = committed bytes / 512");
        assertEquals(32 * MiB, Tools.statSize(b));
    }

    @Test
    void dfShowsTheBudgetAsSizeAndAllDisksDataAsUsed() {
        assertArrayEquals(new long[] {LIMIT, 0, LIMIT}, Tools.df(fs.mountPoint()), "df of an empty mount: size, used, avail");

        Tools.dd("if=/dev/urandom", "of=" + fs.mountPoint().resolve("a"), "bs=1M", "count=5", "seek=1000", "conv=notrunc").assertOk();
        Tools.dd("if=/dev/urandom", "of=" + fs.mountPoint().resolve("b"), "bs=1M", "count=3", "conv=notrunc").assertOk();

        assertArrayEquals(new long[] {LIMIT, 8 * MiB, LIMIT - 8 * MiB}, Tools.df(fs.mountPoint()), "df after writing 8 MiB");
    }

    @Test
    void lsListsEveryDiskWithItsSize() {
        String ls = Cmd.ok("ls", "-l", "--time-style=+", fs.mountPoint().toString()).out();

        assertEquals(2, ls.lines().filter(l -> l.startsWith("-rw-")).count(), ls);
        assertEquals(true, ls.contains(" 33554432  b"), ls);
    }
}

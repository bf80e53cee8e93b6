package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --memory-limit 64M}: filling a disk past it fails dd with "No space left on device"; the
 * process stays up, other disks keep working, what was written before reads back, and punching
 * makes room again.
 */
@RequiresFuse(tools = {"dd", "cmp", "fallocate", "df"})
class MemoryLimitIT {
    static final long LIMIT = 64 * MiB;
    static final long OTHER = 8 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path mp;
    CliProcess rd;
    Path big;
    Path other;
    Path otherData;
    Path fill;

    @BeforeEach
    void mountTwoDisksUnderA64MiBLimitAndPutDataOnTheSmallOne() {
        mp = disks.newMountPoint();
        rd = disks.startCliMounted(mp, "--memory-limit", "64M", "-d", "big=256M", "-d", "other=16M");
        big = mp.resolve("big");
        other = mp.resolve("other");
        otherData = Data.random(tmp.resolve("other-data"), OTHER, 91);
        Tools.dd("if=" + otherData, "of=" + other, "bs=1M", "conv=notrunc").assertOk();
        fill = Data.random(tmp.resolve("fill"), 128 * MiB, 92);
    }

    @ParameterizedTest(name = "dd {0}")
    @ValueSource(strings = {"oflag=direct", "oflag=dsync"})
    void fillingPastTheLimitFailsWithEnospcAndEverythingElseKeepsWorking(String flag) {
        Cmd.Result dd = Tools.ddCounting("if=" + fill, "of=" + big, "bs=1M", "conv=notrunc", flag);

        dd.assertFailsWith("No space left on device");
        long written = Tools.ddBytesCopied(dd);
        assertTrue(written > 0 && written <= LIMIT - OTHER, "dd copied " + written + " bytes under a budget of " + (LIMIT - OTHER) + "\n" + dd.describe());

        assertTrue(rd.isAlive(), "ramdiskfs died\n" + rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp), "the mount must stay live");
        Tools.cmp(fill, 0, big, 0, written);
        Tools.cmp(otherData, 0, other, 0, OTHER);
        long[] df = Tools.df(mp);
        assertEquals(LIMIT, df[0], "df size");
        assertTrue(df[1] >= written + OTHER && df[1] <= LIMIT, "df used " + df[1]);
    }

    @Test
    void anotherDiskCanStillOverwriteTheMemoryItHoldsWhenTheBudgetIsExhausted() {
        Tools.ddCounting("if=" + fill, "of=" + big, "bs=1M", "conv=notrunc", "oflag=direct").assertFailsWith("No space left on device");
        Path newer = Data.random(tmp.resolve("newer"), OTHER, 93);

        Tools.dd("if=" + newer, "of=" + other, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();

        Tools.cmp(newer, 0, other, 0, OTHER);
        Tools.dd("if=" + fill, "of=" + other, "bs=1M", "count=1", "seek=12", "conv=notrunc", "oflag=direct")
                .assertFailsWith("No space left on device");
    }

    @Test
    void punchingMakesRoomAgain() {
        Cmd.Result full = Tools.ddCounting("if=" + fill, "of=" + big, "bs=1M", "conv=notrunc", "oflag=direct");
        full.assertFailsWith("No space left on device");

        Tools.punchHole(big, 0, 256 * MiB);

        assertEquals(OTHER, Tools.df(mp)[1], "df used after punching the big disk");
        Tools.dd("if=" + fill, "of=" + big, "bs=1M", "count=32", "seek=100", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(fill, 0, big, 100 * MiB, 32 * MiB);
        Tools.cmpZeros(big, 0, 100 * MiB);
    }

    @Test
    void deletingADiskGivesItsMemoryBackToTheOthers() {
        Tools.ddCounting("if=" + fill, "of=" + big, "bs=1M", "conv=notrunc", "oflag=direct").assertFailsWith("No space left on device");

        Cmd.ok("rm", big.toString());

        assertEquals(OTHER, Tools.df(mp)[1], "df used after deleting the big disk");
        Tools.dd("if=" + fill, "of=" + other, "bs=1M", "count=8", "seek=8", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(fill, 0, other, 8 * MiB, 8 * MiB);
    }
}

package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.KiB;
import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --memory-limit 256M}: dd into a 1 GiB disk stops with ENOSPC exactly where the budget
 * ends (within one 64 KiB chunk), not later and not with an OutOfMemoryError. What was written
 * reads back, the other disk keeps its data and can overwrite it (but not grow), punching and
 * deleting give the memory back, and the JVM heap of the process does not grow with the data
 * (it lives off the heap).
 */
@RequiresFuse(tools = {"dd", "cmp", "fallocate", "df", "jcmd", "rm", "python3"})
class MemoryExhaustionIT {
    static final long LIMIT = 256 * MiB;
    static final long OTHER = 8 * MiB;
    static final long CHUNK = 64 * KiB;
    static final long HEAP_GROWTH_LIMIT = 64 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    final List<Path> scratch = new ArrayList<>();

    @AfterEach
    void deleteScratch() throws IOException {
        for (Path p : scratch) {
            Files.deleteIfExists(p);
        }
    }

    @ParameterizedTest(name = "dd {0}")
    @ValueSource(strings = {"oflag=direct", "conv=fsync"})
    void fillingADiskStopsAtTheLimitAndEverythingElseKeepsWorking(String ddFlag) {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "--memory-limit", "256M", "-d", "big=1G", "-d", "other=16M");
        Path big = mp.resolve("big");
        Path other = mp.resolve("other");
        Path otherData = scratch(Data.random(disks.testDir().resolve("other-data"), OTHER, 501));
        Path fill = scratch(Data.random(disks.testDir().resolve("fill"), LIMIT + 32 * MiB, 502));
        Tools.dd("if=" + otherData, "of=" + other, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        long heapBefore = JvmHeap.usedAfterFullGc(rd.pid());

        Cmd.Result dd = Tools.ddCounting("if=" + fill, "of=" + big, "bs=1M", "conv=notrunc", ddFlag);

        dd.assertFailsWith("No space left on device");
        long written = Tools.ddBytesCopied(dd);
        long room = LIMIT - OTHER;
        assertTrue(written <= room && written >= room - CHUNK,
                "dd wrote " + written + " bytes before ENOSPC; the budget left room for exactly " + room + "\n" + dd.describe());
        assertTrue(rd.isAlive(), "ramdiskfs died filling the budget\n" + rd.describe());
        assertFalse(rd.stderr().contains("OutOfMemoryError"), rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        long[] df = Tools.df(mp);
        assertEquals(LIMIT, df[0], "df size = the budget");
        assertTrue(df[1] > LIMIT - CHUNK && df[1] <= LIMIT, "df used " + df[1] + " at a full budget of " + LIMIT);
        assertEquals(written, Tools.committedBytes(big), "committed bytes of the filled disk = what dd wrote");

        long heapAfter = JvmHeap.usedAfterFullGc(rd.pid());
        assertTrue(heapAfter - heapBefore < HEAP_GROWTH_LIMIT,
                "the Java heap grew from " + heapBefore + " to " + heapAfter + " bytes while " + written + " bytes of disk data arrived");

        // what was written reads back; past it the disk reads zeros (a refused write left nothing)
        Tools.cmp(fill, 0, big, 0, written);
        Tools.cmpZeros(big, written, MiB);
        Tools.cmp(otherData, 0, other, 0, OTHER);

        // the other disk can overwrite the memory it holds, but not take more
        Path newer = scratch(Data.random(disks.testDir().resolve("newer"), OTHER, 503));
        Tools.dd("if=" + newer, "of=" + other, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(newer, 0, other, 0, OTHER);
        Tools.dd("if=" + fill, "of=" + other, "bs=1M", "count=1", "seek=8", "conv=notrunc", "oflag=direct")
                .assertFailsWith("No space left on device");
        Tools.cmpZeros(other, OTHER, MiB);

        // punching the full disk makes room, for the other disk and for itself
        Tools.punchHole(big, 0, 64 * MiB);
        assertEquals(df[1] - 64 * MiB, Tools.df(mp)[1], "df used after punching 64 MiB");
        Tools.dd("if=" + fill, "of=" + other, "bs=1M", "count=8", "seek=8", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(fill, 0, other, OTHER, OTHER);
        Tools.dd("if=" + fill, "of=" + big, "bs=1M", "count=32", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(fill, 0, big, 0, 32 * MiB);
        Tools.cmpZeros(big, 32 * MiB, 32 * MiB);
        Tools.cmp(fill, 64 * MiB, big, 64 * MiB, written - 64 * MiB);

        // deleting the disk gives all of its memory back
        Cmd.ok("rm", big.toString());
        assertEquals(2 * OTHER, Tools.df(mp)[1], "df used after deleting the full disk");
        Path again = mp.resolve("again");
        Tools.dd("if=" + fill, "of=" + again, "bs=1M", "count=200", "oflag=direct").assertOk();
        Tools.cmp(fill, 0, again, 0, 200 * MiB);
        assertTrue(rd.isAlive(), rd.describe());
    }

    /**
     * The budget is checked per FUSE request: a write of one request (up to 1 MiB) that does not
     * fit is ENOSPC with nothing written; a larger O_DIRECT write is cut by the kernel into 1 MiB
     * requests, so it returns short with exactly the requests that fit written.
     */
    @Test
    void atTheLimitOneRequestIsAllOrNothingAndALargerWriteIsShort() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "--memory-limit", "1M", "-d", "disk0=8M");
        Path disk = mp.resolve("disk0");

        String big = Syscalls.pwriteDirect(disk, 0, 2 * MiB);

        assertEquals("OK " + MiB, big, "an O_DIRECT pwrite of 2 MiB under a 1 MiB budget");
        assertEquals(MiB, Tools.committedBytes(disk), "committed after the short write");
        byte[] expected = new byte[(int) MiB];
        java.util.Arrays.fill(expected, (byte) 0xa5);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, Data.read(disk, 0, (int) MiB), "the first MiB, written");
        Tools.cmpZeros(disk, MiB, 7 * MiB);

        assertEquals("ENOSPC", Syscalls.pwriteDirect(disk, 4 * MiB, 128 * KiB), "an O_DIRECT pwrite of one 128 KiB request with no budget left");
        assertEquals("ENOSPC", Syscalls.pwrite(disk, 5 * MiB + 100, 1), "a buffered 1-byte pwrite with no budget left");
        Tools.cmpZeros(disk, MiB, 7 * MiB);
        assertEquals(MiB, Tools.committedBytes(disk));
        assertEquals("OK 4096", Syscalls.pwriteDirect(disk, 0, 4096), "overwriting memory the disk holds needs no budget");
        assertTrue(rd.isAlive(), rd.describe());
    }

    private Path scratch(Path p) {
        scratch.add(p);
        return p;
    }
}

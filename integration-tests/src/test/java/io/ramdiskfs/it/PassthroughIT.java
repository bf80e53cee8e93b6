package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.fs.DiskFile;
import io.ramdiskfs.service.PrometheusText;
import io.ramdiskfs.status.MountStatus;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast lane itself: a {@code ,passthrough} disk is opened by FUSE passthrough (the kernel
 * moves the data; the disk says so while open, for snapshots to refuse), and what the process no
 * longer sees still holds: size, du, punching, truncate, the budget's ENOSPC, read-only. The
 * rest of the suite runs on the lane with {@code -Dramdiskfs.it.passthrough=true}.
 */
@RequiresFuse(tools = {"dd", "cmp", "fallocate", "df", "du", "truncate", "getfattr"})
class PassthroughIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    RamDiskFs fs;
    Path disk;

    @BeforeEach
    void mountAPassthroughDiskUnderA64MiBBudget() {
        fs = disks.mount(disks.options(DiskDefinition.ram("disk0", 256 * MiB).asPassthrough(),
                DiskDefinition.ram("ro", 16 * MiB).asPassthrough().asReadOnly()).withMemoryLimit(64 * MiB));
        disk = fs.mountPoint().resolve("disk0");
        Assumptions.assumeTrue(Tools.getfattr(disk).getOrDefault("user.ramdiskfs.layers", "").startsWith("tmpfs"),
                "passthrough disks need root and Linux 6.9+ (the fallback is covered by PassthroughSupportTest)");
    }

    private DiskFile file(String name) throws Exception {
        return fs.directory().lookup("/" + name);
    }

    @Test
    void anOpenDiskIsServedByPassthroughAndSaysSoUntilClosed() throws Exception {
        assertFalse(file("disk0").isPassthroughOpen(), "not open yet");
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertTrue(file("disk0").isPassthroughOpen(), "open by passthrough: a snapshot must refuse (EBUSY)");
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4096);
            ByteBuffer back = ByteBuffer.allocate(3);
            ch.read(back, 4096);
            assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(back.get(0), back.get(1), back.get(2)));
        }
        long deadline = System.nanoTime() + 5_000_000_000L; // RELEASE reaches the process just after close
        while (file("disk0").isPassthroughOpen() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(file("disk0").isPassthroughOpen(), "closed: snapshots may go ahead");
    }

    @Test
    void writesThroughTheKernelShowInDuDfAndTheAttributes() throws Exception {
        Path data = Data.random(tmp.resolve("data"), 16 * MiB, 5);
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "seek=32", "conv=notrunc").assertOk();

        Tools.cmp(data, 0, disk, 0, 16 * MiB);
        Tools.cmp(data, 0, disk, 32 * MiB, 16 * MiB);
        assertEquals(256 * MiB, Tools.statSize(disk));
        assertEquals(32 * MiB, Tools.du(disk), "du: the memory the disk holds");
        assertEquals(32 * MiB, Tools.committedBytes(disk));
        long[] df = Tools.df(fs.mountPoint());
        assertEquals(64 * MiB, df[0], "df size: the budget");
        assertTrue(df[1] >= 32 * MiB && df[1] <= 33 * MiB, "df used " + df[1]);
        // Not the process's RSS: the bytes are the tmpfs's; status and metrics count its blocks.
        MountStatus status = fs.directory().status();
        assertEquals(32 * MiB, status.memoryUsedBytes(), "status: memory used, as df");
        assertEquals(32 * MiB, status.disks().stream().filter(d -> d.name().equals("disk0")).findFirst().orElseThrow()
                .committedBytes(), "status: the disk's memory");
        assertTrue(PrometheusText.render(status).contains("\nramdiskfs_memory_used_bytes " + 32 * MiB + "\n"),
                "metrics: ramdiskfs_memory_used_bytes");
    }

    @Test
    void punchingAndZeroingFreeTheMemory() {
        Path data = Data.random(tmp.resolve("data"), 16 * MiB, 6);
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();

        Tools.punchHole(disk, 0, 8 * MiB);
        Tools.zeroRange(disk, 8 * MiB, 4 * MiB);

        Tools.cmpZeros(disk, 0, 12 * MiB);
        Tools.cmp(data, 12 * MiB, disk, 12 * MiB, 4 * MiB);
        assertEquals(4 * MiB, Tools.du(disk));
    }

    @Test
    void truncateResizesAndAWritePastTheEndGrowsToWholeSectors() throws Exception {
        Cmd.ok("truncate", "-s", "1M", disk.toString());
        assertEquals(MiB, Tools.statSize(disk));
        Cmd.run("truncate", "-s", "1000", disk.toString()).assertFailsWith("Invalid argument");
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[100]), 2 * MiB); // past the end: the kernel writes the file itself
        }
        assertEquals(2 * MiB + 512, Tools.statSize(disk), "grown to the sector that holds the last byte");
    }

    @Test
    void writingPastTheBudgetFailsWithEnospcAndTheDiskKeepsWorking() {
        Path fill = Data.random(tmp.resolve("fill"), 128 * MiB, 7);

        Cmd.Result dd = Tools.ddCounting("if=" + fill, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct");

        dd.assertFailsWith("No space left on device");
        long written = Tools.ddBytesCopied(dd);
        assertTrue(written > 0 && written <= 64 * MiB, "dd wrote " + written);
        Tools.cmp(fill, 0, disk, 0, written);
        Tools.punchHole(disk, 0, 32 * MiB);
        Tools.dd("if=" + fill, "of=" + disk, "bs=1M", "count=16", "conv=notrunc", "oflag=direct").assertOk();
    }

    @Test
    void withHugePagesMemoryComesIn2MiBUnitsAndAPunchStillFrees4KiB() throws Exception {
        String thp = Files.exists(SHMEM_THP) ? Files.readString(SHMEM_THP) : "[deny]";
        Assumptions.assumeFalse(thp.contains("[deny]"), "this kernel has no huge pages for tmpfs: " + SHMEM_THP + " " + thp);
        RamDiskFs huge = disks.mount(disks.options(DiskDefinition.ram("h", 64 * MiB).asPassthrough())
                .withMemoryLimit(64 * MiB).withHugePages(true));
        Path h = huge.mountPoint().resolve("h");
        Path data = Data.random(tmp.resolve("data"), 16 * MiB, 9);

        Tools.dd("if=" + data, "of=" + h, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Tools.dd("if=" + data, "of=" + h, "bs=4k", "count=1", "seek=" + 40 * MiB / 4096, "conv=notrunc", "oflag=direct")
                .assertOk();

        Tools.cmp(data, 0, h, 0, 16 * MiB);
        Tools.cmp(data, 0, h, 40 * MiB, 4096);
        Tools.cmpZeros(h, 40 * MiB + 4096, 2 * MiB - 4096);
        assertEquals(18 * MiB, Tools.du(h), "16 MiB of 1 MiB writes, and a 4 KiB write that took a whole 2 MiB page");
        Tools.punchHole(h, 40 * MiB, 4096);
        Tools.punchHole(h, MiB, 64 * 1024);
        Tools.cmpZeros(h, MiB, 64 * 1024);
        Tools.cmp(data, MiB + 64 * 1024, h, MiB + 64 * 1024, 15 * MiB - 64 * 1024);
        assertEquals(18 * MiB - 4096 - 64 * 1024, Tools.du(h), "a punch splits the page and frees what it covers");
    }

    private static final Path SHMEM_THP = Path.of("/sys/kernel/mm/transparent_hugepage/shmem_enabled");

    @Test
    void aReadOnlyPassthroughDiskRefusesWrites() {
        Path ro = fs.mountPoint().resolve("ro");
        FileSystemException e = assertThrows(FileSystemException.class, () -> FileChannel.open(ro, StandardOpenOption.WRITE).close());
        assertTrue(String.valueOf(e.getMessage()).contains("Read-only file system"), e.toString());
        Tools.cmpZeros(ro, 0, 16 * MiB);
    }

    @Test
    void aLoopDeviceWithDirectIoWorksOnIt() throws IOException {
        Path data = Data.random(tmp.resolve("data"), 8 * MiB, 8);
        String dev = disks.attachLoop(disk, "--direct-io=on");
        Tools.dd("if=" + data, "of=" + dev, "bs=1M", "oflag=direct").assertOk();
        disks.detachLoop(dev);
        Tools.cmp(data, 0, disk, 0, 8 * MiB);
    }
}

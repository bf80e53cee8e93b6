package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ramdiskfs in a memory cgroup whose limit (512 MiB) is below what it is asked to hold, with
 * {@code --memory-limit 2G} set above the limit by mistake. Without a check the kernel's OOM
 * killer stops the process once the disks reach the limit (every disk lost, the mount dead; see
 * {@code MemoryCeiling}); with it the budget is clamped at start, with one warning line, and the
 * write that does not fit gets ENOSPC while the process keeps serving. A loop device and ext4
 * over a disk of that mount, written past the budget, end in I/O errors, never in a hang: every
 * step finishes within its timeout, and the stack comes apart cleanly.
 */
@RequiresFuse(root = true, tools = {"dd", "fallocate", "losetup", "mkfs.ext4", "mount", "umount", "sync"})
class MemoryPressureIT {
    static final long CGROUP_LIMIT = 512 * MiB;
    /** The cgroup's limit less the reserve (128 MiB) MemoryCeiling keeps for the JVM. */
    static final long CLAMPED = 384 * MiB;
    static final Duration STEP = Duration.ofSeconds(60);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private CliProcess start(MemoryCgroup cg, Path mp, String disk) {
        CliProcess rd = disks.startCli(mp, cg.wrap(), List.of("--memory-limit", "2G", "-d", disk, mp.toString())).awaitMount();
        assertEquals(List.of(rd.pid()), cg.pids(), "the daemon runs in the test's cgroup");
        assertTrue(rd.stderr().contains("is more than the memory cgroup allows (" + CGROUP_LIMIT + " bytes"),
                "no line says the budget was clamped\n" + rd.describe());
        assertTrue(rd.stderr().contains("memory limit " + CLAMPED + " bytes"), "the mount line names the budget in force");
        assertEquals(CLAMPED, Tools.df(mp)[0], "df shows the clamped budget");
        return rd;
    }

    @Test
    void aBudgetAboveTheCgroupIsClampedSoAFullDiskIsEnospcAndNotTheOomKiller() {
        try (MemoryCgroup cg = MemoryCgroup.create("ramdiskfs-it", CGROUP_LIMIT)) {
            try {
                Path mp = disks.newMountPoint();
                CliProcess rd = start(cg, mp, "d0=1G");
                Path disk = mp.resolve("d0");
                Path head = Data.random(disks.newDir("data").resolve("head"), 64 * MiB, 31);
                Tools.dd("if=" + head, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct");

                Cmd.run(STEP, "dd", "if=/dev/urandom", "of=" + disk, "bs=1M", "seek=64", "count=900", "conv=notrunc",
                        "oflag=direct").assertFailsWith("No space left on device");

                assertTrue(rd.isAlive(), "the process was stopped\n" + rd.describe());
                assertEquals(0, cg.oomKills(), "the OOM killer acted");
                assertTrue(cg.peakBytes() < CGROUP_LIMIT, "peak " + cg.peakBytes());
                assertTrue(Tools.df(mp)[1] <= CLAMPED, "more than the budget is held");
                Tools.cmp(head, 0, disk, 0, 64 * MiB);
                // Still serving: freeing memory makes room for a write again.
                Cmd.ok("fallocate", "-p", "-o", Long.toString(64 * MiB), "-l", Long.toString(128 * MiB), disk.toString());
                Tools.dd("if=" + head, "of=" + disk, "bs=1M", "seek=64", "conv=notrunc", "oflag=direct");
                Tools.cmp(head, 0, disk, 64 * MiB, 64 * MiB);
            } finally {
                disks.releaseAll(); // the daemon stops before its cgroup goes
            }
        }
    }

    @Test
    void loopAndExt4OverADiskPastTheBudgetFailWithIoErrorsAndComeApartWithoutAHang() {
        try (MemoryCgroup cg = MemoryCgroup.create("ramdiskfs-it", CGROUP_LIMIT)) {
            try {
                Path mp = disks.newMountPoint();
                CliProcess rd = start(cg, mp, "vm=1G");
                String dev = disks.attachLoop(mp.resolve("vm"), "--direct-io=on");
                Cmd.run(STEP, "mkfs.ext4", "-q", dev).assertOk();
                Path ext = disks.newDir("ext");
                disks.mountDevice(dev, ext);

                // 600 MiB into a file system whose device can hold 384: ext4 sees EIO from the loop
                // device (ENOSPC from ramdiskfs) in writeback; dd may or may not be told, but it ends.
                Cmd.Result dd = Cmd.run(STEP, "dd", "if=/dev/urandom", "of=" + ext.resolve("big"), "bs=1M", "count=600",
                        "conv=fsync");
                Cmd.run(STEP, "sync").assertOk();
                disks.umount(ext);
                disks.detachLoop(dev);

                assertTrue(rd.isAlive(), "the process was stopped\n" + rd.describe() + "\n" + dd.describe());
                assertEquals(0, cg.oomKills(), "the OOM killer acted");
                assertTrue(Tools.df(mp)[1] <= CLAMPED);
                Cmd.run(STEP, "dd", "if=" + mp.resolve("vm"), "of=/dev/null", "bs=1M", "iflag=direct").assertOk();
            } finally {
                disks.releaseAll();
            }
        }
    }
}

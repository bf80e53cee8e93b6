package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM while a loop device holds a disk: the kernel refuses the unmount (busy); ramdiskfs says
 * so, keeps serving the loop device, and exits 0 once the device is detached. A second signal
 * detaches the mount lazily and exits 0 at once.
 */
@RequiresFuse(root = true, tools = {"losetup", "dd", "cmp", "kill"})
class LoopBusyIT {
    static final Duration EXIT = Duration.ofSeconds(30);
    static final long DATA = 16 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void sigtermWithALoopDeviceAttachedKeepsServingUntilTheDeviceIsDetached() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        String dev = disks.attachLoop(mp.resolve("disk0"), "--direct-io=on");
        Path data = Data.random(disks.testDir().resolve("data"), DATA, 701);
        Tools.dd("if=" + data, "of=" + dev, "bs=1M", "oflag=direct").assertOk();

        rd.signal("TERM");

        Await.logLine(rd, "busy", EXIT);
        String warning = Tools.lines(rd.stderr()).stream().filter(l -> l.contains("busy")).findFirst().orElseThrow();
        assertTrue(warning.contains(mp.toString()) && warning.contains("still serving"), "the busy line: " + warning);
        Await.sleep(1500); // at least one more unmount attempt, refused as well
        assertTrue(rd.isAlive(), "busy: ramdiskfs must keep serving\n" + rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        Path back = disks.testDir().resolve("back");
        Tools.dd("if=" + dev, "of=" + back, "bs=1M", "count=16", "iflag=direct").assertOk();
        Tools.cmp(data, back);
        Tools.dd("if=" + data, "of=" + dev, "bs=1M", "count=4", "seek=32", "oflag=direct").assertOk();
        Tools.cmp(data, 0, mp.resolve("disk0"), 32 * MiB, 4 * MiB);

        disks.detachLoop(dev);

        assertEquals(0, rd.awaitExit(EXIT), "exit code once the loop device is detached\n" + rd.describe());
        assertTrue(rd.stderr().contains("unmounted " + mp), rd.describe());
        assertFalse(MountInfo.isMounted(mp), MountInfo.describe());
    }

    @Test
    void aSecondSignalDetachesLazilyAndExitsZero() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        try (LoopDevice loop = LoopDevice.attach(mp.resolve("disk0"), "--direct-io=on")) {
            Path data = Data.random(disks.testDir().resolve("data"), DATA, 702);
            Tools.dd("if=" + data, "of=" + loop.device, "bs=1M", "oflag=direct").assertOk();

            rd.signal("TERM");
            Await.logLine(rd, "busy", EXIT);
            assertTrue(rd.isAlive(), rd.describe());
            rd.signal("TERM");

            assertEquals(0, rd.awaitExit(EXIT), "exit code after the second signal\n" + rd.describe());
            assertTrue(rd.stderr().contains("detached " + mp + " lazily"), rd.describe());
            assertFalse(MountInfo.isMounted(mp), "a lazy detach takes the mount out of the namespace at once\n" + MountInfo.describe());
            assertTrue(loop.isAttached(), "the loop device is ours to detach");
            assertFalse(Tools.dd("if=" + loop.device, "of=/dev/null", "bs=1M", "count=1", "iflag=direct").ok(),
                    "reading through the loop device after ramdiskfs exited must fail, not return data");
        }
    }
}

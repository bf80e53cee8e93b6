package io.ramdiskfs.it;

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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM while something still uses a disk (an open file, a loop device): the kernel refuses the
 * unmount, so ramdiskfs says so and keeps serving, and exits 0 once the user lets go; a second
 * signal detaches lazily.
 */
@RequiresFuse(root = true, tools = {"losetup", "dd", "cmp", "kill"})
class BusyMountIT {
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    @Test
    void anOpenFileKeepsTheMountServingUntilItCloses() throws IOException {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        try (FileChannel held = FileChannel.open(mp.resolve("disk0"), StandardOpenOption.READ)) {
            held.read(ByteBuffer.allocate(512), 0);

            rd.signal("TERM");
            waitForLog(rd, "busy");

            assertTrue(rd.isAlive(), "busy: it must keep serving\n" + rd.describe());
            assertTrue(MountInfo.isLiveRamdiskfs(mp), "busy: the mount must stay live");
        }

        assertEquals(0, rd.awaitExit(EXIT), rd.describe());
        assertFalse(MountInfo.isMounted(mp), MountInfo.describe());
    }

    @Test
    void aLoopDeviceKeepsTheMountServingAndItsDataIntactUntilDetached() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        Path data = Data.random(tmp.resolve("data"), 8 * MiB, 101);
        String dev = disks.attachLoop(mp.resolve("disk0"));

        rd.signal("TERM");
        waitForLog(rd, "busy");
        Tools.dd("if=" + data, "of=" + dev, "bs=1M", "oflag=direct").assertOk();
        Tools.cmp(data, 0, mp.resolve("disk0"), 0, 8 * MiB);
        assertTrue(rd.isAlive(), rd.describe());

        disks.detachLoop(dev);

        assertEquals(0, rd.awaitExit(EXIT), rd.describe());
        assertFalse(MountInfo.isMounted(mp), MountInfo.describe());
    }

    @Test
    void aSecondSignalDetachesABusyMountLazilyAndExitsZero() throws IOException {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        FileChannel held = FileChannel.open(mp.resolve("disk0"), StandardOpenOption.READ);
        try {
            rd.signal("TERM");
            waitForLog(rd, "busy");

            rd.signal("TERM");

            assertEquals(0, rd.awaitExit(EXIT), rd.describe());
            assertFalse(MountInfo.isMounted(mp), "a lazy detach takes the mount out of the namespace at once\n" + MountInfo.describe());
        } finally {
            try {
                held.close();
            } catch (IOException e) {
                // the daemon is gone: closing the orphaned handle may report ENOTCONN
            }
        }
    }

    private static void waitForLog(CliProcess p, String fragment) {
        long deadline = System.nanoTime() + EXIT.toNanos();
        while (!p.stderr().contains(fragment)) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                throw new AssertionError("'" + fragment + "' never appeared in the log\n" + p.describe());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

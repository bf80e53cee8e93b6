package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line as a child process: signals unmount and exit 0, a dead mount left by kill -9
 * is cleared by the next start, a live mount point is refused.
 */
@RequiresFuse(tools = {"dd", "cmp", "kill", "fusermount"})
class LifecycleIT {
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalUnmountsAndExitsZero(String signal) {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");
        Tools.dd("if=/dev/urandom", "of=" + mp.resolve("disk0"), "bs=1M", "count=4", "conv=notrunc").assertOk();

        rd.signal(signal);

        assertEquals(0, rd.awaitExit(EXIT), rd.describe());
        assertFalse(MountInfo.isMounted(mp), "the mount is still in /proc/self/mountinfo\n" + MountInfo.describe());
        assertTrue(rd.stderr().contains("unmounted " + mp), rd.describe());
    }

    /**
     * A SIGTERM the moment the mount appears (a service manager stopping a unit it just started)
     * must still unmount. (ramdiskfs once installed its signal handlers only after the mount was
     * live; a signal in between killed the JVM with 143 and left a dead mount behind. The handlers
     * now come first, and a signal that arrives while mounting is delivered once it is live.)
     */
    @RepeatedTest(5)
    void aSigtermAsSoonAsTheMountAppearsStillUnmountsAndExitsZero() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCli(mp, List.of("-d", "disk0=64M", mp.toString()));
        rd.awaitMountListed();

        rd.signal("TERM");

        int exit = rd.awaitExit(EXIT);
        assertFalse(MountInfo.isMounted(mp), "exit " + exit + ", and it left a mount behind (" + MountInfo.statError(mp) + ")\n"
                + rd.describe());
        assertEquals(0, exit, rd.describe());
    }

    @Test
    void killMinus9LeavesADeadMountThatTheNextStartClearsAndServes() {
        Path mp = disks.newMountPoint();
        CliProcess first = disks.startCliMounted(mp, "-d", "disk0=64M");

        first.kill9();

        assertTrue(MountInfo.isMounted(mp), "after kill -9 the kernel still lists the mount");
        String dead = MountInfo.statError(mp);
        assertTrue(dead != null && dead.contains("not connected"), "stat of a dead FUSE mount: " + dead);

        CliProcess second = disks.startCliMounted(mp, "-d", "disk0=64M");

        assertTrue(second.stderr().contains("cleared a dead mount"), second.describe());
        assertEquals(1, MountInfo.at(mp).size(), "one mount at " + mp + ", not a stack\n" + MountInfo.describe());
        Path data = Data.random(tmp.resolve("data"), 4 * MiB, 81);
        Tools.dd("if=" + data, "of=" + mp.resolve("disk0"), "bs=1M", "conv=notrunc").assertOk();
        Tools.cmp(data, 0, mp.resolve("disk0"), 0, 4 * MiB);
    }

    @Test
    void aRestartRightAfterKillMinus9StillSeesTheMountIsDead() throws IOException {
        Path mp = disks.newMountPoint();
        CliProcess first = disks.startCliMounted(mp, "-d", "disk0=64M");
        java.nio.file.Files.readAttributes(mp, "unix:mode"); // the kernel caches the root's attributes for a second

        first.kill9();
        CliProcess second = disks.startCliMounted(mp, "-d", "disk0=64M");

        assertTrue(second.stderr().contains("cleared a dead mount"), second.describe());
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("disk0"), "bs=1M", "count=1", "conv=notrunc").assertOk();
    }

    @Test
    void aLiveMountPointIsRefusedWithOneLineAndTheRunningMountKeepsServing() {
        Path mp = disks.newMountPoint();
        CliProcess first = disks.startCliMounted(mp, "-d", "disk0=64M");

        CliProcess second = disks.startCli(mp, List.of("-d", "disk0=64M", mp.toString()));
        int exit = second.awaitExit(EXIT);

        assertNotEquals(0, exit, second.describe());
        List<String> errors = Tools.lines(second.stderr());
        assertEquals(1, errors.size(), "exactly one line on stderr\n" + second.describe());
        assertTrue(errors.get(0).startsWith("ramdiskfs: ") && errors.get(0).contains("live mount"), second.describe());
        assertTrue(first.isAlive());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("disk0"), "bs=1M", "count=1", "conv=notrunc").assertOk();
    }

    @Test
    void fusermountFromOutsideEndsTheProcessWithZero() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=64M");

        io.ramdiskfs.it.support.Cmd.ok("fusermount", "-u", mp.toString());

        assertEquals(0, rd.awaitExit(EXIT), rd.describe());
        assertFalse(MountInfo.isMounted(mp));
    }
}

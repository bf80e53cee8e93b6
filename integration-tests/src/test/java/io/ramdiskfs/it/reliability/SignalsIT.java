package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signals while fio writes and verifies: SIGTERM and SIGINT find the mount busy (fio holds the
 * disk open), so ramdiskfs says so and keeps serving; fio finishes its bounded run with every
 * block verified; then ramdiskfs unmounts, exits 0 and leaves no mount. kill -9 during I/O leaves
 * a dead mount that the next start clears before serving.
 */
@RequiresFuse(tools = {"fio", "dd", "cmp", "kill"})
class SignalsIT {
    static final Duration IO_TIMEOUT = Duration.ofSeconds(90);
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    final List<Background> clients = new ArrayList<>();

    @AfterEach
    void stopClients() {
        clients.forEach(Background::close); // before MountedDisks stops ramdiskfs
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalDuringIoWaitsForTheIoThenUnmountsAndExitsZero(String signal) throws IOException {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=256M");
        Path disk = mp.resolve("disk0");
        assertSignalIsNotIgnored(rd, signal);
        Background fio = fio(disk, "--do_verify=1");
        awaitIo(fio, disk);

        rd.signal(signal);

        Await.logLine(rd, "busy", EXIT);
        assertTrue(fio.isAlive(), "fio ended before the signal took effect: the test did not signal during I/O\n" + fio.describe());
        assertTrue(rd.isAlive(), "busy: ramdiskfs must keep serving\n" + rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp), "busy: the mount must stay live");
        Cmd.Result io = fio.await(IO_TIMEOUT);
        assertFioVerified(io);
        assertEquals(0, rd.awaitExit(EXIT), "exit code once fio closed the disk\n" + rd.describe());
        assertTrue(rd.stderr().contains("SIG" + signal + ": unmounting") && rd.stderr().contains("unmounted " + mp), rd.describe());
        assertFalse(MountInfo.isMounted(mp), "a mount is left at " + mp + "\n" + MountInfo.describe());
    }

    @Test
    void killMinus9DuringIoLeavesADeadMountThatTheNextStartClearsAndServes() {
        Path mp = disks.newMountPoint();
        CliProcess first = disks.startCliMounted(mp, "-d", "disk0=256M");
        Path disk = mp.resolve("disk0");
        Background fio = fio(disk, "--do_verify=1");
        awaitIo(fio, disk);

        first.kill9();

        Cmd.Result io = fio.await(IO_TIMEOUT); // fails fast (ENOTCONN) instead of hanging
        assertNotEquals(0, io.exitCode(), "fio cannot succeed once the filesystem died\n" + io.describe());
        assertTrue(MountInfo.isMounted(mp), "after kill -9 the kernel still lists the mount\n" + MountInfo.describe());
        String dead = MountInfo.statError(mp);
        assertTrue(dead != null && dead.contains("not connected"), "listing a dead FUSE mount: " + dead);

        CliProcess second = disks.startCliMounted(mp, "-d", "disk0=64M");

        assertTrue(second.stderr().contains("cleared a dead mount"), second.describe());
        assertEquals(1, MountInfo.at(mp).size(), "one mount at " + mp + ", not a stack\n" + MountInfo.describe());
        Path data = Data.random(disks.testDir().resolve("data"), 16 * MiB, 601);
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(data, 0, disk, 0, 16 * MiB);
        Tools.cmpZeros(disk, 16 * MiB, 48 * MiB);
        assertEquals("ram", Tools.getfattr(disk).get("user.ramdiskfs.layers"));
    }

    /**
     * A process started with SIGINT ignored (a background job of a non-interactive shell) keeps it
     * ignored, and the JVM then installs no handler: Ctrl-C could not reach ramdiskfs at all.
     * ProcessBuilder leaves the disposition default unless the test JVM itself ignores SIGINT.
     */
    private static void assertSignalIsNotIgnored(CliProcess rd, String signal) throws IOException {
        int number = signal.equals("INT") ? 2 : 15;
        long ignored = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(rd.pid()), "status"))) {
            if (line.startsWith("SigIgn:")) {
                ignored = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        assertEquals(0, ignored & (1L << (number - 1)),
                "SIG" + signal + " is ignored in the ramdiskfs process (inherited from the test JVM): it cannot be tested here");
    }

    /** Two jobs of 4 KiB random O_DIRECT writes, 64 MiB each, with crc32c verification: a few seconds. */
    private Background fio(Path disk, String mode) {
        Background b = Background.start(disks.testDir(), "fio", List.of("fio",
                "--name=signals", "--filename=" + disk, "--rw=randwrite", "--bs=4k", "--ioengine=libaio", "--iodepth=8",
                "--direct=1", "--numjobs=2", "--size=64M", "--offset_increment=64M", "--randseed=6060",
                "--verify=crc32c", "--verify_fatal=1", "--verify_state_save=0", mode, "--group_reporting"));
        clients.add(b);
        return b;
    }

    /** fio has written at least 4 MiB, and is still running. */
    private static void awaitIo(Background fio, Path disk) {
        Await.until(Duration.ofSeconds(30), () -> !fio.isAlive() || Tools.committedBytes(disk) >= 4 * MiB,
                () -> "fio writing to " + disk + "\n" + fio.describe());
        assertTrue(fio.isAlive(), "fio ended before the test could signal during its I/O\n" + fio.describe());
    }

    private static void assertFioVerified(Cmd.Result r) {
        r.assertOk();
        String all = r.stdout() + r.stderr();
        assertTrue(all.contains("err= 0") && !all.contains("verify failed") && !all.contains("bad magic"),
                "fio reported an error\n" + r.describe());
        assertTrue(all.matches("(?s).*READ: .*io=128MiB.*"), "fio did not read back and verify all 128 MiB\n" + r.describe());
    }
}

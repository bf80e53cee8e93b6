package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line as a child process ({@code -v}, so every refusal is logged) with {@code disk0}
 * full of random data, for tests that throw bad requests at it. After each refusal:
 * {@link #refused} checks the errno, that the disk is byte for byte what it was, and that the
 * same process still serves; {@link #assertNothingUnexpectedLogged} that no request became an
 * unexpected failure (EIO, an exception).
 */
final class ServingRig {
    static final long DISK = 16 * MiB;

    final CliProcess rd;
    final Path mountPoint;
    final Path disk;
    final DiskSnapshot snapshot;

    private ServingRig(CliProcess rd, Path mountPoint, Path disk, DiskSnapshot snapshot) {
        this.rd = rd;
        this.mountPoint = mountPoint;
        this.disk = disk;
        this.snapshot = snapshot;
    }

    /** {@code ramdiskfs -v --memory-limit 64M -d disk0=16M EXTRA... MP}, disk0 filled with random bytes. */
    static ServingRig start(MountedDisks disks, String... extra) {
        Path mp = disks.newMountPoint();
        List<String> args = new ArrayList<>(List.of("-v", "--memory-limit", "64M", "-d", "disk0=16M"));
        args.addAll(List.of(extra));
        CliProcess rd = disks.startCliMounted(mp, args.toArray(String[]::new));
        Path disk = mp.resolve("disk0");
        Path data = Data.random(disks.testDir().resolve("disk0-data"), DISK, 4242);
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "conv=notrunc").assertOk();
        return new ServingRig(rd, mp, disk, DiskSnapshot.of(disk, disks.testDir().resolve("disk0-before")));
    }

    /** {@code got} is {@code expected}, and {@code request} changed nothing. */
    void refused(String request, String expected, String got) {
        assertEquals(expected, got, request + " on " + disk);
        stillServing(request);
    }

    /** The process runs, the mount answers, disk0 is unchanged. */
    void stillServing(String after) {
        assertTrue(rd.isAlive(), "ramdiskfs exited after " + after + "\n" + rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mountPoint), "the mount stopped answering after " + after + "\n" + MountInfo.describe());
        snapshot.assertUnchanged(after);
    }

    /** No warning, error or exception in the log: every refusal was an expected one. */
    void assertNothingUnexpectedLogged() {
        for (String line : Tools.lines(rd.stderr())) {
            assertTrue(!line.contains(" WARN ") && !line.contains(" ERROR ") && !line.contains("Exception") && !line.contains("Error:"),
                    "unexpected line in the log: " + line + "\n" + rd.describe());
        }
    }
}

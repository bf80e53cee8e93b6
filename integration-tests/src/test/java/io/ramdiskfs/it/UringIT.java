package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * FUSE-over-io_uring ({@code -Dramdiskfs.uring=true}, kernel 6.14+ with {@code enable_uring=1}):
 * data verifies on a RAM disk and a memdiff disk while the requests really come by the rings (the
 * mount's ring counter), the mount goes away while fio runs without a hang, and with
 * {@code enable_uring=N} the mount says so once and serves through /dev/fuse.
 */
@RequiresFuse(root = true, tools = "fio")
class UringIT {
    static final Path ENABLE = Path.of("/sys/module/fuse/parameters/enable_uring");
    static final Duration EXIT = Duration.ofSeconds(20);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private String enableBefore;
    private String propertyBefore;

    @BeforeEach
    void remember() throws IOException {
        assumeTrue(Files.isWritable(ENABLE), "no " + ENABLE + " (kernel without CONFIG_FUSE_IO_URING)");
        enableBefore = Files.readString(ENABLE).trim();
        propertyBefore = System.setProperty("ramdiskfs.uring", "true");
    }

    @AfterEach
    void restore() throws IOException {
        if (propertyBefore == null) {
            System.clearProperty("ramdiskfs.uring");
        } else {
            System.setProperty("ramdiskfs.uring", propertyBefore);
        }
        if (enableBefore != null) {
            Files.writeString(ENABLE, enableBefore.equals("Y") ? "1" : "0");
        }
    }

    private static void enableUring(boolean on) throws IOException {
        Files.writeString(ENABLE, on ? "1" : "0");
    }

    @Test
    void fioVerifiesOnARamAndAMemdiffDiskServedByTheRings() throws IOException {
        enableUring(true);
        Path image = Data.random(disks.testDir().resolve("base.raw"), 128 * MiB, 64);
        RamDiskFs fs = disks.mount(DiskDefinition.ram("ram", 128 * MiB), DiskDefinition.memdiff("diff", image));

        for (String disk : List.of("ram", "diff")) {
            long before = fs.uringRequests();
            Cmd.Result r = fio(fs.mountPoint().resolve(disk), "--rw=randwrite", "--bsrange=4k-256k", "--size=32M",
                    "--offset_increment=32M", "--verify=crc32c", "--verify_fatal=1", "--do_verify=1");
            r.assertOk();
            String all = r.stdout() + r.stderr();
            assertTrue(!all.contains("verify failed") && !all.contains("bad magic") && all.contains("READ: bw="),
                    "fio verified " + disk + "\n" + r.describe());
            assertTrue(fs.uringRequests() - before > 1000,
                    "the requests to " + disk + " came by the rings: " + (fs.uringRequests() - before));
        }
    }

    @Test
    void theMountGoesAwayWhileFioRunsWithoutAHang() throws Exception {
        enableUring(true);
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 64 * MiB));
        Path mp = fs.mountPoint();
        Process fio = new ProcessBuilder("fio", "--name=busy", "--thread", "--filename=" + mp.resolve("disk0"), "--rw=randrw",
                "--bsrange=4k-1m", "--direct=1", "--ioengine=psync", "--numjobs=4", "--size=64M", "--time_based",
                "--runtime=60").redirectErrorStream(true).redirectOutput(disks.testDir().resolve("fio.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (fs.uringRequests() < 10_000 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(fs.uringRequests() >= 10_000, "fio's requests come by the rings: " + fs.uringRequests());

            // Abort the connection under the running jobs: every ring entry, the one being served
            // included, must be ended by the kernel and every queue thread must notice.
            String connection = Cmd.run("stat", "-c", "%d", mp.toString()).stdout().trim();
            Path connections = Path.of("/sys/fs/fuse/connections");
            boolean mountedFusectl = false;
            if (!Files.exists(connections.resolve(connection))) {
                Cmd.run("mount", "-t", "fusectl", "fusectl", connections.toString()).assertOk();
                mountedFusectl = true;
            }
            try {
                Files.writeString(connections.resolve(connection).resolve("abort"), "1");
            } finally {
                if (mountedFusectl) {
                    Cmd.run("umount", connections.toString());
                }
            }
            assertTrue(fio.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS), "fio ends once the connection is gone");
            Cmd.run("fusermount", "-u", "-z", mp.toString());
            long until = System.nanoTime() + EXIT.toNanos();
            while (fs.isMounted() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(!fs.isMounted(), "the loop and its rings end within " + EXIT.toSeconds() + " s");
            assertTrue(!MountInfo.isMounted(mp), MountInfo.describe());
        } finally {
            fio.destroyForcibly();
            fio.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void aLazyUnmountWhileFioRunsEndsTheMountWhenFioLetsGo() throws Exception {
        enableUring(true);
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 64 * MiB));
        Path mp = fs.mountPoint();
        Process fio = new ProcessBuilder("fio", "--name=busy", "--thread", "--filename=" + mp.resolve("disk0"), "--rw=randrw",
                "--bs=4k", "--direct=1", "--ioengine=psync", "--numjobs=4", "--size=64M", "--time_based",
                "--runtime=5").redirectErrorStream(true).redirectOutput(disks.testDir().resolve("fio.log").toFile()).start();
        try {
            Thread.sleep(1500);
            fs.unmountLazily();
            assertTrue(fio.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS), "fio runs to its end on the detached mount");
            assertEquals(0, fio.exitValue(), Files.readString(disks.testDir().resolve("fio.log")));
            long until = System.nanoTime() + EXIT.toNanos();
            while (fs.isMounted() && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertTrue(!fs.isMounted(), "the loop and its rings end once fio closed the disk");
        } finally {
            fio.destroyForcibly();
            fio.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void withEnableUringOffTheMountSaysSoOnceAndServesThroughDevFuse() throws Exception {
        enableUring(false);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        RamDiskFs fs;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            fs = disks.mount(DiskDefinition.ram("disk0", 64 * MiB));
            fio(fs.mountPoint().resolve("disk0"), "--rw=randwrite", "--bs=4k", "--size=8M", "--offset_increment=8M",
                    "--verify=crc32c", "--verify_fatal=1", "--do_verify=1").assertOk();
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, fs.uringRequests(), "no ring");
        long lines = log.lines().filter(l -> l.contains("FUSE-over-io_uring")).count();
        assertEquals(1, lines, "one log line about io_uring:\n" + log);
        assertTrue(log.contains("not offered"), log);
    }

    private static Cmd.Result fio(Path disk, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("fio", "--name=uring", "--filename=" + disk, "--direct=1",
                "--ioengine=psync", "--numjobs=4", "--randseed=20261202", "--verify_state_save=0", "--group_reporting"));
        cmd.addAll(List.of(args));
        return Cmd.run(Duration.ofSeconds(150), cmd);
    }
}

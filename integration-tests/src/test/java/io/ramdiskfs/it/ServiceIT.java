package io.ramdiskfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import io.ramdiskfs.status.StatusJson;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ramdiskfs as a service: {@code bin/install} into a temporary prefix (the mount helper into the
 * real /sbin, where mount(8) looks, removed afterwards), {@code mount -t fuse.ramdiskfs} and
 * {@code umount}, refusals, {@code status --json} against known I/O, {@code /metrics}, and
 * sd_notify to a socket standing in for systemd's.
 */
@RequiresFuse(root = true, tools = {"mount", "umount", "dd", "fallocate", "python3"})
class ServiceIT {
    private static final Path HELPER = Path.of("/sbin/mount.fuse.ramdiskfs");
    private static final Pattern DAEMON_PID = Pattern.compile("daemon pid (\\d+) serves");
    private static Path prefix;
    private static Path units;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();
    private final List<Path> mounted = new ArrayList<>();

    @BeforeAll
    static void install() throws IOException {
        Path root = Path.of(System.getProperty("ramdiskfs.it.dir", "target/it")).toAbsolutePath().resolve("ServiceIT-install");
        Files.createDirectories(root);
        prefix = Files.createTempDirectory(root, "prefix-").resolve("usr");
        units = prefix.getParent().resolve("units");
        if (Files.exists(HELPER)) {
            throw new AssertionError(HELPER + " exists already (another install?): not overwriting it");
        }
        Cmd.Result r = Cmd.run(List.of("env", "RAMDISKFS_NO_BUILD=1", "RAMDISKFS_SBIN_DIR=/sbin", "RAMDISKFS_UNIT_DIR=" + units,
                repo().resolve("bin/install").toString(), prefix.toString()));
        r.assertOk();
    }

    @AfterAll
    static void uninstall() {
        if (prefix == null) {
            return;
        }
        Cmd.run(repo().resolve("bin/install").toString(), "--uninstall", prefix.toString()).assertOk();
        assertFalse(Files.exists(HELPER), "the uninstall removed " + HELPER);
        assertFalse(Files.exists(prefix), "the uninstall removed the prefix it created");
        assertFalse(Files.exists(units.resolve("ramdiskfs@.service")));
    }

    static Path repo() {
        return Path.of(System.getProperty("ramdiskfs.jar")).getParent().getParent().getParent();
    }

    private String launcher() {
        return prefix.resolve("bin/ramdiskfs").toString();
    }

    /** Unmounts whatever a test mounted and is still there; the daemon then exits by itself. */
    @org.junit.jupiter.api.AfterEach
    void unmountLeftovers() {
        for (Path mp : mounted) {
            if (MountInfo.isMounted(mp) && !Cmd.run("umount", mp.toString()).ok()) {
                Cmd.run("umount", "-l", mp.toString());
            }
        }
    }

    @Test
    void installPutsEveryPieceInPlace() throws IOException {
        assertTrue(Files.isExecutable(prefix.resolve("bin/ramdiskfs")));
        assertTrue(Files.isRegularFile(prefix.resolve("lib/ramdiskfs/ramdiskfs.jar")));
        assertTrue(Files.isRegularFile(prefix.resolve("share/man/man1/ramdiskfs.1")));
        assertTrue(Files.isExecutable(HELPER));
        String unit = Files.readString(units.resolve("ramdiskfs@.service"));
        assertTrue(unit.contains("Type=notify"), unit);
        assertTrue(unit.contains("ExecStart=" + prefix + "/bin/ramdiskfs -o ${RAMDISKFS_OPTIONS} %f"), unit);
        String manifest = Files.readString(prefix.resolve("lib/ramdiskfs/install-manifest.txt"));
        assertTrue(manifest.contains("file " + HELPER), manifest);
        Cmd.run(launcher(), "--version").assertOk();
        Cmd.run("man", "-l", "--warnings", prefix.resolve("share/man/man1/ramdiskfs.1").toString()).assertOk();
    }

    /**
     * bin/deb packages what bin/install puts in place, for /usr: checked without installing it
     * (this class owns /sbin/mount.fuse.ramdiskfs meanwhile) by reading the package and running
     * the jar unpacked from it.
     */
    @Test
    void debPackageHoldsAWorkingInstall() throws IOException {
        Path out = Files.createTempDirectory(prefix.getParent(), "deb-");
        Cmd.Result built = Cmd.run(List.of("env", "RAMDISKFS_NO_BUILD=1", repo().resolve("bin/deb").toString(), out.toString()));
        built.assertOk();
        Path deb;
        try (var files = Files.list(out)) {
            deb = files.filter(f -> f.getFileName().toString().endsWith("_all.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("no .deb in " + out + ": " + built.describe()));
        }
        assertEquals("ramdiskfs", Cmd.run("dpkg-deb", "-f", deb.toString(), "Package").stdout().strip());
        String depends = Cmd.run("dpkg-deb", "-f", deb.toString(), "Depends").stdout();
        assertTrue(depends.contains("libfuse2") && depends.contains("java17-runtime-headless") && !depends.contains("fuse3"), depends);
        String contents = Cmd.run("dpkg-deb", "-c", deb.toString()).stdout();
        for (String f : List.of("./usr/bin/ramdiskfs", "./usr/lib/ramdiskfs/ramdiskfs.jar", "./sbin/mount.fuse.ramdiskfs",
                "./lib/systemd/system/ramdiskfs@.service", "./usr/share/man/man1/ramdiskfs.1.gz")) {
            assertTrue(contents.contains(" " + f + "\n"), f + " is not in the package:\n" + contents);
        }
        assertFalse(contents.contains("install-manifest"), "dpkg keeps the list of files, not a manifest:\n" + contents);
        assertTrue(contents.startsWith("drwxr-xr-x root/root"), "the package's / is 0755 root:\n" + contents);

        Path root = out.resolve("root");
        Cmd.run("dpkg-deb", "-x", deb.toString(), root.toString()).assertOk();
        String launcher = Files.readString(root.resolve("usr/bin/ramdiskfs"));
        assertTrue(launcher.contains("-jar \"/usr/lib/ramdiskfs/ramdiskfs.jar\""), launcher);
        assertTrue(launcher.contains("java=${RAMDISKFS_JAVA:-java}"), "a package finds java on the PATH: " + launcher);
        String unit = Files.readString(root.resolve("lib/systemd/system/ramdiskfs@.service"));
        assertTrue(unit.contains("ExecStart=/usr/bin/ramdiskfs -o ${RAMDISKFS_OPTIONS} %f"), unit);
        assertTrue(Files.readString(root.resolve("sbin/mount.fuse.ramdiskfs")).contains("/usr/bin/ramdiskfs"));
        Cmd.Result version = Cmd.run("java", "-jar", root.resolve("usr/lib/ramdiskfs/ramdiskfs.jar").toString(), "--version");
        version.assertOk();
        assertTrue(version.stdout().contains("ramdiskfs"), version.describe());
    }

    /** The README's path for a new user: one fstab line, {@code mount -a}, {@code ramdiskfs status}, {@code umount}. */
    @Test
    void fstabLineMountAllStatusUmount() throws Exception {
        Path mp = disks.newMountPoint();
        Path log = disks.testDir().resolve("fstab-daemon.log");
        mounted.add(mp);
        Path fstab = disks.testDir().resolve("fstab");
        Files.writeString(fstab, "# a test's own fstab (mount -T): /etc/fstab is not touched\n"
                + "ramdiskfs  " + mp + "  fuse.ramdiskfs  disk=scratch=8M,memory_limit=64M,nofail,log=" + log + "  0  0\n");

        Cmd.run("mount", "-T", fstab.toString(), "-a").assertOk();
        assertTrue(MountInfo.isLiveRamdiskfs(mp), "mount -a returned with the mount live");
        Cmd.run("dd", "if=/dev/urandom", "of=" + mp.resolve("scratch"), "bs=64k", "count=16", "oflag=direct", "conv=notrunc").assertOk();

        Cmd.Result status = Cmd.run(launcher(), "status", mp.toString());
        status.assertOk();
        assertTrue(status.stdout().contains("scratch"), status.describe());
        MountStatus json = StatusJson.parse(Cmd.run(launcher(), "status", mp.toString(), "--json").stdout());
        DiskStatus scratch = json.disks().stream().filter(d -> d.name().equals("scratch")).findFirst().orElseThrow();
        assertEquals(16, scratch.writes().operations(), status.describe());
        assertEquals(1 << 20, scratch.writes().bytes());
        ProcessHandle daemon = daemonOf(log);

        Cmd.run("umount", mp.toString()).assertOk();
        assertTrue(daemon.onExit().get(30, TimeUnit.SECONDS) != null);
        assertFalse(MountInfo.isMounted(mp));
    }

    @Test
    void mountReturnsOnceLiveAndUmountStopsTheDaemon() throws Exception {
        Path mp = disks.newMountPoint();
        Path log = disks.testDir().resolve("daemon.log");
        mounted.add(mp);

        Cmd.Result r = Cmd.run("mount", "-t", "fuse.ramdiskfs", "ramdiskfs", mp.toString(), "-o",
                "disk=a=4M,disk=b=1M+ro,memory_limit=64M,nofail,_netdev,defaults,x-systemd.mount-timeout=5min,log=" + log);

        r.assertOk();
        // No waiting: the disks are there the moment mount returns.
        assertEquals(4 << 20, Files.size(mp.resolve("a")), r.describe());
        assertEquals(1 << 20, Files.size(mp.resolve("b")));
        assertFalse(Files.isWritable(mp.resolve("b")) && Cmd.run("dd", "if=/dev/zero", "of=" + mp.resolve("b"), "bs=512", "count=1",
                "conv=notrunc").ok(), "b is read-only");
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        ProcessHandle daemon = daemonOf(log);

        Cmd.run("umount", mp.toString()).assertOk();

        assertTrue(daemon.onExit().get(30, TimeUnit.SECONDS) != null);
        assertFalse(daemon.isAlive());
        assertFalse(MountInfo.isMounted(mp), MountInfo.describe());
        assertTrue(Files.readString(log).contains("unmounted " + mp), Files.readString(log));
    }

    @Test
    void aBadOptionFailsWithTheReasonAndMountsNothing() {
        Path mp = disks.newMountPoint();
        mounted.add(mp);
        String[][] cases = {{"disk=a=1M,bogus", "bogus"}, {"disk=a=12Q", "12Q"}, {"disk=a=1M,allow_other=yes", "allow_other=yes"},
            {"disk=a/b=1M", "a/b"}, {"disk=a=1M,metrics=nowhere", "nowhere"}};
        for (String[] c : cases) {
            Cmd.Result r = Cmd.run("mount", "-t", "fuse.ramdiskfs", "ramdiskfs", mp.toString(), "-o", c[0]);
            assertNotEquals(0, r.exitCode(), r.describe());
            assertTrue(r.stderr().contains(c[1]), r.describe());
            assertFalse(MountInfo.isMounted(mp), c[0] + "\n" + MountInfo.describe());
        }
        Path missing = disks.testDir().resolve("no-such-dir");
        Cmd.Result r = Cmd.run("mount", "-t", "fuse.ramdiskfs", "ramdiskfs", missing.toString(), "-o",
                "disk=a=1M,log=" + disks.testDir().resolve("missing.log"));
        assertNotEquals(0, r.exitCode(), r.describe());
        assertTrue(r.stderr().contains("does not exist"), r.describe());
    }

    @Test
    void statusJsonCountsKnownIo() throws Exception {
        Path mp = disks.newMountPoint();
        Path log = disks.testDir().resolve("daemon.log");
        mounted.add(mp);
        Cmd.run("mount", "-t", "fuse.ramdiskfs", "ramdiskfs", mp.toString(), "-o",
                "disk=a=16M,disk=z=1M,memory_limit=64M,log=" + log).assertOk();
        Path a = mp.resolve("a");

        // 256 direct 4 KiB writes, 64 direct 64 KiB reads, one 1 MiB punch: one request each.
        Cmd.ok("dd", "if=/dev/urandom", "of=" + a, "bs=4k", "count=256", "oflag=direct", "conv=notrunc", "status=none");
        Cmd.ok("dd", "if=" + a, "of=/dev/null", "bs=64k", "count=64", "iflag=direct", "status=none");
        Cmd.ok("fallocate", "--punch-hole", "--offset", "0", "--length", "1M", a.toString());

        Cmd.Result r = Cmd.run(launcher(), "status", mp.toString(), "--json").assertOk();
        MountStatus s = StatusJson.parse(r.stdout());
        assertEquals(64L << 20, s.memoryLimitBytes());
        assertEquals(2, s.disks().size());
        DiskStatus d = s.disks().get(0);
        assertEquals("a", d.name());
        assertEquals(16L << 20, d.sizeBytes());
        assertEquals("ram", d.layers());
        assertEquals(256, d.writes().operations(), r.stdout());
        assertEquals(1L << 20, d.writes().bytes());
        assertEquals(64, d.reads().operations(), r.stdout());
        assertEquals(4L << 20, d.reads().bytes());
        assertEquals(1, d.discards().operations());
        assertEquals(1L << 20, d.discards().bytes());
        assertEquals(0, d.writes().errors() + d.reads().errors() + d.discards().errors());
        assertTrue(d.writes().percentileNanos(0.5) > 0 && d.writes().percentileNanos(0.5) <= d.writes().percentileNanos(0.99));
        assertEquals(0, s.disks().get(1).writes().operations());
        assertEquals(s.memoryUsedBytes(), d.committedBytes());

        // The human table, and every mount when none is named.
        String table = Cmd.run(launcher(), "status", mp.toString()).assertOk().stdout();
        assertTrue(table.contains(mp.toString()) && table.contains("P99.9") && table.matches("(?s).*\\ba\\s+read\\s+64\\s+4\\.0 MiB.*"), table);
        String all = Cmd.run(launcher(), "status", "--json").assertOk().stdout();
        assertTrue(all.startsWith("[") && all.contains("\"mount_point\":\"" + mp + "\""), all);
        Cmd.Result notOurs = Cmd.run(launcher(), "status", disks.testDir().toString());
        assertEquals(1, notOurs.exitCode(), notOurs.describe());
        assertTrue(notOurs.stderr().contains("is not a ramdiskfs mount"), notOurs.describe());
    }

    @Test
    void metricsAreServedWithTheSameFigures() throws Exception {
        Path mp = disks.newMountPoint();
        Path log = disks.testDir().resolve("daemon.log");
        mounted.add(mp);
        Cmd.run("mount", "-t", "fuse.ramdiskfs", "ramdiskfs", mp.toString(), "-o",
                "disk=m=8M,memory_limit=64M,metrics=127.0.0.1:0,log=" + log).assertOk();
        Matcher port = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(Files.readString(log));
        assertTrue(port.find(), Files.readString(log));
        Cmd.ok("dd", "if=/dev/zero", "of=" + mp.resolve("m"), "bs=4k", "count=16", "oflag=direct", "conv=notrunc", "status=none");

        HttpResponse<String> res = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String body = res.body();
        assertTrue(body.contains("ramdiskfs_disk_write_operations_total{disk=\"m\"} 16\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_write_bytes_total{disk=\"m\"} 65536\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_write_seconds_bucket{disk=\"m\",le=\"+Inf\"} 16\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_write_seconds_count{disk=\"m\"} 16\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_size_bytes{disk=\"m\"} 8388608\n"), body);
        // The 64 KiB written were zeros: counted, and no memory held for them.
        assertTrue(body.contains("ramdiskfs_disk_zero_bytes_total{disk=\"m\"} 65536\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_committed_bytes{disk=\"m\"} 0\n"), body);
        assertTrue(body.contains("ramdiskfs_memory_limit_bytes 67108864\n"), body);
        assertTrue(body.contains("ramdiskfs_disk_read_seconds_bucket{disk=\"m\",le=\"0.000005\"} "), body);
    }

    @Test
    void sdNotifyTellsReadyAndStopping() throws Exception {
        Path mp = disks.newMountPoint();
        String got = notifiedAround(mp, List.of("-o", "disk=n=1M,memory_limit=16M", mp.toString()), null);
        assertTrue(got.indexOf("READY=1") < got.indexOf("STOPPING=1"), got);
        assertFalse(got.contains("EXTEND_TIMEOUT_USEC"), "no image moved, no extension asked for: " + got);
    }

    /**
     * A persist disk with 160 MiB of data loads before READY=1 and saves after STOPPING=1: both
     * ask systemd for more time while the bytes move (ticks of 20 ms here, 5 s in service).
     */
    @Test
    void sdNotifyAsksForMoreTimeWhileImagesLoadAndSave() throws Exception {
        Path mp = disks.newMountPoint();
        Path image = disks.testDir().resolve("persist.raw");
        byte[] piece = new byte[1 << 20];
        new java.util.Random(42).nextBytes(piece);
        try (var out = Files.newOutputStream(image)) {
            for (int i = 0; i < 160; i++) {
                piece[0] = (byte) i; // every MiB differs
                out.write(piece);
            }
        }
        String got = notifiedAround(mp, List.of("-d", "p=persist:" + image, "--memory-limit", "512M", mp.toString()),
                "-Dramdiskfs.notify.tickMillis=20");
        int ready = got.indexOf("READY=1");
        int stopping = got.indexOf("STOPPING=1");
        int firstExtension = got.indexOf("EXTEND_TIMEOUT_USEC=90000000");
        int lastExtension = got.lastIndexOf("EXTEND_TIMEOUT_USEC=90000000");
        assertTrue(firstExtension >= 0 && firstExtension < ready, "an extension while loading, before READY=1: " + got);
        assertTrue(got.contains("STATUS=loading images: "), got);
        assertTrue(lastExtension > stopping, "an extension while saving, after STOPPING=1: " + got);
        assertTrue(got.contains("STATUS=saving images: "), got);
        assertEquals(160L << 20, Files.size(image), "the image saved back whole");
    }

    /**
     * Runs the launcher with {@code args} and {@code NOTIFY_SOCKET} pointing at a receiver standing
     * in for systemd, until READY=1; then stops it with SIGTERM (as systemctl stop does) and
     * returns every message received, one per line, up to and including STOPPING=1 ...
     */
    private String notifiedAround(Path mp, List<String> args, String javaOpts) throws Exception {
        mounted.add(mp);
        String socket = "@ramdiskfs-it-notify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path received = disks.testDir().resolve("notified-" + System.nanoTime() + ".txt");
        Process receiver = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind('\\0' + sys.argv[1][1:])",
                "open(sys.argv[2] + '.bound', 'w').close()",
                "s.settimeout(60)",
                "with open(sys.argv[2], 'a', buffering=1) as out:",
                "    while True:",
                "        try:",
                "            m = s.recv(4096).decode()",
                "        except socket.timeout:",
                "            break",
                "        out.write(m.replace('\\n', ' ') + '\\n')",
                // after STOPPING=1 the saves may still extend: listen until a quiet second
                "        if 'STOPPING=1' in m: s.settimeout(1)"), socket, received.toString())
                .redirectErrorStream(true).redirectOutput(disks.testDir().resolve("receiver.out").toFile()).start();
        Process daemon = null;
        try {
            await(() -> Files.exists(Path.of(received + ".bound")), "the receiver to bind");
            List<String> command = new java.util.ArrayList<>();
            command.add(launcher());
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(new File("/dev/null"))
                    .redirectErrorStream(true).redirectOutput(disks.testDir().resolve("foreground.log").toFile());
            pb.environment().put("NOTIFY_SOCKET", socket);
            if (javaOpts != null) {
                pb.environment().put("JAVA_OPTS", javaOpts);
            }
            daemon = pb.start();
            Process d = daemon;
            await(() -> Files.exists(received) && Files.readString(received).contains("READY=1"), "READY=1");
            assertTrue(MountInfo.isLiveRamdiskfs(mp), "READY=1 only once the mount is live");
            assertTrue(Files.readString(received).contains("MAINPID=" + d.pid()), Files.readString(received));

            daemon.destroy(); // SIGTERM, as systemctl stop sends
            assertTrue(daemon.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, daemon.exitValue());
            assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver got STOPPING=1");
            String got = Files.readString(received);
            assertTrue(got.contains("STOPPING=1"), got);
            assertFalse(MountInfo.isMounted(mp));
            return got;
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
            }
            receiver.destroyForcibly();
        }
    }

    private static ProcessHandle daemonOf(Path log) throws IOException {
        Matcher m = DAEMON_PID.matcher(Files.readString(log));
        assertTrue(m.find(), Files.readString(log));
        return ProcessHandle.of(Long.parseLong(m.group(1))).orElseThrow(() -> new AssertionError("the daemon is not running"));
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }

    private static void await(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within 30 s");
            }
            Thread.sleep(20);
        }
    }
}

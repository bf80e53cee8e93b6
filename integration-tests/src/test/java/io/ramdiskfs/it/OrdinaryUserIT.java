package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.OrdinaryUser;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ramdiskfs run by an ordinary user (SPEC section 10), as a new user would try it: an account
 * made for the test, with the launcher and the jar under test in a checkout in its home,
 * {@code /dev/fuse} mode 0666 as distributions ship it (put back as it was afterwards), and
 * {@code fusermount} setuid. The README's walkthrough runs as that user in their own mount under
 * their home: creating disks with dd and truncate, a cp clone, {@code mkdir .snap/NAME},
 * rollback, rm and rmdir of snapshots, {@code ramdiskfs status}, {@code save} into their home,
 * {@code clone}, {@code rollback}, and {@code fusermount -u}. What needs root says so in one line:
 * {@code --allow-other} without {@code user_allow_other}, a {@code /dev/fuse} the user cannot open,
 * and {@code --passthrough} (a plain RAM disk instead).
 *
 * <p>Without {@code allow_other} only the user may enter the mount (root included: FUSE keeps
 * others out), so every check runs as the user.
 */
@RequiresFuse(root = true, tools = {"useradd", "userdel", "getent", "setpriv", "fusermount", "dd", "cmp", "truncate",
    "cp", "getfattr", "setfattr", "fallocate", "du", "stat", "chmod"})
class OrdinaryUserIT {
    private static final Path FUSE = Path.of("/dev/fuse");
    private static OrdinaryUser user;
    private static Path launcher;
    private static String fuseMode;
    private final List<Process> daemons = new ArrayList<>();
    private final List<Path> mountPoints = new ArrayList<>();

    @BeforeAll
    static void makeTheUser() throws IOException {
        fuseMode = Cmd.ok("stat", "-c", "%a", FUSE.toString()).out();
        user = OrdinaryUser.create("rdfsuser");
        launcher = user.checkoutOf(ServiceIT.repo(), CliProcess.jar());
    }

    @AfterAll
    static void removeTheUser() {
        try {
            Cmd.ok("chmod", fuseMode, FUSE.toString());
        } finally {
            if (user != null) {
                user.close();
            }
        }
    }

    /** The daemons this test started, by PID; then any mount they left, lazily. */
    @AfterEach
    void stopDaemons() throws InterruptedException {
        for (Process p : daemons) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
        for (Path mp : mountPoints) {
            if (MountInfo.isMounted(mp)) {
                Cmd.run("fusermount", "-u", "-z", mp.toString());
            }
        }
        Cmd.ok("chmod", fuseMode, FUSE.toString());
    }

    private String rd(String relative) {
        return user.home().resolve(relative).toString();
    }

    /** {@code ~/ramdiskfs/bin/ramdiskfs ARGS} as the user, to its end. */
    private Cmd.Result ramdiskfs(String... args) {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        return user.run(cmd.toArray(String[]::new));
    }

    /** {@code bin/ramdiskfs ARGS} as the user in the background, its output in {@code log}. */
    private Process startDaemon(Path log, Path mountPoint, String... args) throws IOException {
        List<String> cmd = user.prefix();
        cmd.add("RAMDISKFS_NO_BUILD=1");
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        daemons.add(p);
        mountPoints.add(mountPoint);
        return p;
    }

    private static void awaitMounted(Process p, Path log, Path mountPoint) throws Exception {
        long deadline = System.nanoTime() + CliProcess.MOUNT_TIMEOUT.toNanos();
        while (!(Files.readString(log).contains("mounted " + mountPoint) && MountInfo.isMounted(mountPoint))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("ramdiskfs as an ordinary user did not mount " + mountPoint + " (exit "
                        + (p.isAlive() ? "none yet" : p.exitValue()) + "):\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    private static Path logFile(String name) throws IOException {
        Path dir = Files.createDirectories(Path.of(System.getProperty("ramdiskfs.it.dir", "target/it")).toAbsolutePath()
                .resolve("OrdinaryUserIT"));
        return dir.resolve(name + "-" + System.nanoTime() + ".log");
    }

    @Test
    void theReadmeWalkthroughWorksForTheUserInTheirOwnMount() throws Exception {
        Cmd.ok("chmod", "0666", FUSE.toString());
        Path mnt = user.dir("mnt");
        String m = mnt.toString();
        Path log = logFile("walkthrough");
        Process daemon = startDaemon(log, mnt, "-d", "disk0=1G", m);
        awaitMounted(daemon, log, mnt);
        String owner = user.name() + ":" + user.name();
        assertEquals(owner + "\n" + owner + "\n" + owner,
                user.ok("stat", "-c", "%U:%G", m, m + "/.snap", m + "/disk0").out(), "the root, .snap and the disk are the user's");
        assertEquals("755", user.ok("stat", "-c", "%a", m).out());

        // dd, cmp, truncate, du: an existing disk, and new ones made by dd and truncate.
        user.ok("dd", "if=/dev/urandom", "of=" + rd("data"), "bs=1M", "count=16", "status=none");
        user.ok("dd", "if=" + rd("data"), "of=" + m + "/disk0", "bs=1M", "conv=notrunc", "oflag=direct", "status=none");
        user.ok("cmp", "-n", Long.toString(16 * MiB), rd("data"), m + "/disk0");
        assertEquals(Long.toString(16 * MiB), user.ok("du", "-B1", m + "/disk0").out().split("\\s+")[0]);
        user.ok("dd", "if=" + rd("data"), "of=" + m + "/new.img", "bs=1M", "count=4", "status=none");
        user.ok("cmp", "-n", Long.toString(4 * MiB), rd("data"), m + "/new.img");
        assertEquals(Long.toString(4 * MiB), user.ok("stat", "-c", "%s", m + "/new.img").out());
        user.ok("truncate", "-s", "64M", m + "/t.img");
        assertEquals(Long.toString(64 * MiB), user.ok("stat", "-c", "%s", m + "/t.img").out());
        user.ok("truncate", "-s", "2G", m + "/disk0");
        user.ok("fallocate", "--punch-hole", "--offset", "0", "--length", "8M", m + "/disk0");
        user.ok("cmp", "-n", Long.toString(8 * MiB), "/dev/zero", m + "/disk0");
        assertEquals(Long.toString(8 * MiB), user.ok("du", "-B1", m + "/disk0").out().split("\\s+")[0], "punched memory came back");

        // A cp clone, a group snapshot, a rollback, rm and rmdir of snapshots.
        user.ok("cp", m + "/disk0", m + "/copy");
        user.ok("cmp", m + "/disk0", m + "/copy");
        user.ok("mkdir", m + "/.snap/s1");
        assertEquals(owner, user.ok("stat", "-c", "%U:%G", m + "/.snap/s1").out(), "the user's snapshot directory");
        assertEquals(List.of("copy", "disk0", "new.img", "t.img"), user.ok("ls", m + "/.snap/s1").out().lines().toList());
        user.ok("dd", "if=/dev/zero", "of=" + m + "/disk0", "bs=1M", "count=16", "seek=8", "conv=notrunc", "status=none");
        user.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s1", m + "/disk0");
        user.ok("cmp", "-n", Long.toString(8 * MiB), "-i", 8 * MiB + ":" + 8 * MiB, rd("data"), m + "/disk0");
        ramdiskfs("snapshot", m + "/disk0", "mine").assertOk();
        assertTrue(ramdiskfs("snapshots", m).assertOk().out().contains("mine: disk0"));
        user.ok("rm", m + "/.snap/mine/disk0");
        assertEquals("", user.ok("ls", "-A", m + "/.snap/mine").out(), "the snapshot's one disk gone");
        user.ok("rmdir", m + "/.snap/mine");
        user.ok("rmdir", m + "/.snap/s1");
        assertEquals("", user.ok("ls", "-A", m + "/.snap").out(), "both snapshots gone");
        user.ok("rm", m + "/copy");

        // status, save to the user's own directory, clone, rollback through the command line.
        Cmd.Result status = ramdiskfs("status", m).assertOk();
        assertTrue(status.out().contains(m) && status.out().contains("disk0") && status.out().contains("new.img"), status.describe());
        ramdiskfs("save", m + "/disk0", rd("saved.raw")).assertOk();
        assertEquals(owner, user.ok("stat", "-c", "%U:%G", rd("saved.raw")).out(), "the image is the user's file");
        user.ok("cmp", m + "/disk0", rd("saved.raw"));
        ramdiskfs("clone", m + "/disk0", m + "/clone").assertOk();
        user.ok("cmp", m + "/disk0", m + "/clone");
        ramdiskfs("snapshot", m, "s2").assertOk();
        user.ok("dd", "if=/dev/urandom", "of=" + m + "/clone", "bs=1M", "count=1", "conv=notrunc", "status=none");
        ramdiskfs("rollback", m + "/clone", "s2").assertOk();
        user.ok("cmp", m + "/disk0", m + "/clone");

        user.ok("fusermount", "-u", m);
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), Files.readString(log));
        assertEquals(0, daemon.exitValue(), Files.readString(log));
        assertFalse(MountInfo.isMounted(mnt));

        // The saved image loads back in a new mount, holes and all.
        Process again = startDaemon(log.resolveSibling("load.log"), mnt, "-d", "back=load:" + rd("saved.raw"), m);
        awaitMounted(again, log.resolveSibling("load.log"), mnt);
        user.ok("cmp", rd("saved.raw"), m + "/back");
        user.ok("fusermount", "-u", m);
        assertTrue(again.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void passthroughBecomesAPlainRamDiskWithOneLine() throws Exception {
        Cmd.ok("chmod", "0666", FUSE.toString());
        Path mnt = user.dir("mnt-pt");
        Path log = logFile("passthrough");
        Process daemon = startDaemon(log, mnt, "--passthrough", "-d", "disk0=16M", mnt.toString());
        awaitMounted(daemon, log, mnt);
        List<String> why = Files.readString(log).lines().filter(l -> l.contains("passthrough") && !l.contains("mounted ")).toList();
        assertEquals(1, why.size(), Files.readString(log));
        assertTrue(why.get(0).contains("plain RAM disks"), why.get(0));
        String layers = user.ok("getfattr", "-n", "user.ramdiskfs.layers", "--only-values", mnt + "/disk0").out();
        assertTrue(layers.startsWith("ram"), layers);
        user.ok("dd", "if=/dev/urandom", "of=" + mnt + "/disk0", "bs=1M", "count=4", "conv=notrunc", "oflag=direct", "status=none");
        user.ok("fusermount", "-u", mnt.toString());
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, daemon.exitValue(), Files.readString(log));
    }

    /** What needs root, refused in one line before anything is mounted. */
    @Test
    void whatNeedsRootIsRefusedInOneLineNamingTheFile() throws Exception {
        Path mnt = user.dir("mnt-refused");
        Cmd.ok("chmod", "0600", FUSE.toString());
        Cmd.Result noDevice = ramdiskfs("-d", "disk0=16M", mnt.toString());
        assertEquals(1, noDevice.exitCode(), noDevice.describe());
        List<String> lines = noDevice.stderr().lines().filter(l -> l.startsWith("ramdiskfs:")).toList();
        assertEquals(1, lines.size(), noDevice.describe());
        assertTrue(lines.get(0).contains("/dev/fuse") && lines.get(0).contains("chmod 0666"), lines.get(0));
        assertFalse(MountInfo.isMounted(mnt));

        Cmd.ok("chmod", "0666", FUSE.toString());
        boolean allowed = Files.readAllLines(Path.of("/etc/fuse.conf")).stream()
                .anyMatch(l -> l.replaceAll("#.*", "").strip().equals("user_allow_other"));
        if (allowed) {
            // This machine allows it: the mount comes up with allow_other.
            Path log = logFile("allow-other");
            Process daemon = startDaemon(log, mnt, "--allow-other", "-d", "disk0=16M", mnt.toString());
            awaitMounted(daemon, log, mnt);
            assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .anyMatch(l -> l.contains(" " + mnt + " ") && l.contains("allow_other")), MountInfo.describe());
            user.ok("fusermount", "-u", mnt.toString());
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS));
        } else {
            Cmd.Result allowOther = ramdiskfs("--allow-other", "-d", "disk0=16M", mnt.toString());
            assertNotEquals(0, allowOther.exitCode(), allowOther.describe());
            lines = allowOther.stderr().lines().filter(l -> l.startsWith("ramdiskfs:")).toList();
            assertEquals(1, lines.size(), allowOther.describe());
            assertTrue(lines.get(0).contains("/etc/fuse.conf") && lines.get(0).contains("user_allow_other"), lines.get(0));
            assertFalse(allowOther.stderr().contains("fusermount:"), "the refusal comes before fusermount: " + allowOther.describe());
            assertFalse(MountInfo.isMounted(mnt));
        }
    }
}

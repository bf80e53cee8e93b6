package io.ramdiskfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.FuseRequirement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 16: the launcher's and bin/test's check for libfuse2 ({@code ldconfig -p | grep -q} under
 * pipefail) now and then called an installed library missing, and the launcher ran apt-get on a
 * ready machine. The checks live in bin/lib/checks.sh; here they run hundreds of times the way
 * the scripts call them, with {@code apt-get} (and for bin/test {@code mvn} and {@code java}) as
 * stubs on the PATH that record being called.
 *
 * <p>Nothing is mounted, so RAMDISKFS_SKIP_MOUNT_TESTS does not skip this class; but the "ready
 * machine" half needs fuse and libfuse2 installed (bin/test installs them) and fails loudly
 * without them. A second {@code ldconfig}, a stub printing 170 KB with libfuse.so.2 on its first
 * line, makes the race certain: a reader that exits at the first match leaves the writer to die of
 * SIGPIPE on every run (the test shows the old pipeline failing against it).
 */
class LauncherChecksIT {
    static final int RUNS = 300;
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Path REPO = Path.of(System.getProperty("ramdiskfs.repo", "..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = REPO.resolve("bin/ramdiskfs");
    static final Path CHECKS = REPO.resolve("bin/lib/checks.sh");
    static final Path TEST_COMMAND = REPO.resolve("bin/test");
    static final String LIBFUSE_LINE = "\tlibfuse.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libfuse.so.2\n";
    static final String APT_MARK = "APT-GET STUB CALLED";

    Path dir;
    /** apt-get (records, fails loudly), mvn and java stubs: first on the PATH of every run. */
    Path stubs;
    /** An ldconfig that prints 170 KB, libfuse.so.2 first: put before {@link #stubs} to use it. */
    Path bigLdconfig;
    /** An ldconfig that prints nothing: libfuse2 is "missing". */
    Path emptyLdconfig;
    Path aptLog;

    @BeforeAll
    static void fuse2IsInstalled() {
        String ldconfig = Cmd.exists("ldconfig") ? "ldconfig" : "/sbin/ldconfig";
        Cmd.Result r = Cmd.run(ldconfig, "-p");
        if (!r.ok() || !r.stdout().contains("libfuse.so.2") || !Cmd.exists("fusermount")) {
            fail("this test needs FUSE 2 installed (libfuse.so.2 in ldconfig -p, fusermount on the PATH);"
                    + " as root, bin/test installs it (apt-get install fuse libfuse2)\n" + r.describe());
        }
    }

    @BeforeEach
    void stubs(TestInfo info) throws IOException {
        // Outside the checkout, open to everyone: a clean clone may sit in a mode-700 directory
        // (mktemp -d) that the launcher started as nobody could not even reach.
        dir = Files.createTempDirectory("ramdiskfs-" + getClass().getSimpleName() + "-"
                + info.getTestMethod().orElseThrow().getName() + "-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir);
        // world-writable, so that the stub records a call also when the launcher runs as nobody
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxrwxrwx"));
        aptLog = logs.resolve("apt-get.log");

        stubs = Files.createDirectories(dir.resolve("stubs"));
        script(stubs.resolve("apt-get"), "echo \"$0 $*\" >>'" + aptLog + "'\n"
                + "echo '" + APT_MARK + ": apt-get '\"$*\" >&2\nexit 97\n");
        script(stubs.resolve("mvn"), "echo \"mvn stub: $*\"\n");
        script(stubs.resolve("java"), "echo '    java.specification.version = 17' >&2\n");

        StringBuilder big = new StringBuilder(LIBFUSE_LINE);
        for (int i = 0; i < 2000; i++) {
            big.append(String.format("\tlibfiller%05d.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libfiller%05d.so.1%n", i, i));
        }
        Path bigOutput = Files.writeString(dir.resolve("ldconfig-p.txt"), big);
        bigLdconfig = Files.createDirectories(dir.resolve("big-ldconfig"));
        script(bigLdconfig.resolve("ldconfig"), "exec cat '" + bigOutput + "'\n");
        emptyLdconfig = Files.createDirectories(dir.resolve("empty-ldconfig"));
        script(emptyLdconfig.resolve("ldconfig"), "exit 0\n");
    }

    @AfterEach
    void removeStubs() throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The launcher and its checks, copied where a user other than root can run them. */
    private Path launcherCopy() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("repo/bin/lib")).getParent();
        for (Path p = bin; !p.equals(dir); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(bin.resolve("lib"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path launcher = Files.copy(LAUNCHER, bin.resolve("ramdiskfs"));
        Files.copy(CHECKS, bin.resolve("lib/checks.sh"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bin.resolve("lib/checks.sh"), PosixFilePermissions.fromString("rw-r--r--"));
        return launcher;
    }

    @Test
    void theCheckNeverCallsAnInstalledLibfuse2Missing() {
        checkLoop(RUNS, stubs);
    }

    @Test
    void theCheckSurvivesLdconfigKilledBySigpipe() {
        // The stub provokes the race every time: the old pipeline fails against it...
        Cmd.Result old = run(path(bigLdconfig, stubs), List.of("bash", "-c",
                "set -euo pipefail; ldconfig -p 2>/dev/null | grep -q 'libfuse\\.so\\.2'"));
        assertFalse(old.ok(), "the 170 KB ldconfig stub should kill the old check by SIGPIPE\n" + old.describe());
        // ...and the check does not (fewer runs: 170 KB through bash each time takes a while).
        checkLoop(100, bigLdconfig, stubs);
    }

    @Test
    void hundredsOfStartsOnAReadyMachineNeverRunAptGet() {
        for (int i = 0; i < RUNS; i++) {
            // every tenth start with the ldconfig that always loses the race
            String path = i % 10 == 9 ? path(bigLdconfig, stubs) : path(stubs);
            Cmd.Result r = run(path, List.of(LAUNCHER.toString()), "RAMDISKFS_CHECK_ONLY=1");
            if (!r.ok() || r.stderr().contains("installing") || r.stderr().contains("missing") || Files.exists(aptLog)) {
                fail("start " + (i + 1) + " of " + RUNS + " on a ready machine did not pass the FUSE 2 check cleanly\n"
                        + r.describe() + aptCalls());
            }
        }
    }

    @Test
    void noInstallSaysWhatIsMissingAndNeverRunsAptGet() {
        Cmd.Result r = run(path(emptyLdconfig, stubs), List.of(LAUNCHER.toString()),
                "RAMDISKFS_CHECK_ONLY=1", "RAMDISKFS_NO_INSTALL=1");

        r.assertFailsWith("missing libfuse2: libfuse.so.2 not found by ldconfig -p");
        assertTrue(r.stderr().contains("not installing libfuse2 (RAMDISKFS_NO_INSTALL=1 is set)"), r.describe());
        assertTrue(r.stderr().contains("apt-get install fuse libfuse2"), "says how to install\n" + r.describe());
        assertNoAptCall(r);
    }

    @Test
    void asRootItSaysWhatItInstallsAndWhyBeforeRunningAptGet() {
        Cmd.Result r = run(path(emptyLdconfig, stubs), List.of(LAUNCHER.toString()), "RAMDISKFS_CHECK_ONLY=1");

        if (!FuseRequirement.isRoot()) {
            r.assertFailsWith("not installing libfuse2 (not root)");
            assertNoAptCall(r);
            return;
        }
        r.assertFailsWith("could not install libfuse2");
        String err = r.stderr();
        int why = err.indexOf("ramdiskfs: libfuse.so.2 not found by ldconfig -p: installing libfuse2");
        int apt = err.indexOf(APT_MARK);
        assertTrue(why >= 0 && apt > why, "announces the package and the reason before apt-get\n" + r.describe());
        assertFalse(err.contains("installing fuse"), "fusermount is there: only libfuse2 is installed\n" + r.describe());
    }

    @Test
    void aUserWhoIsNotRootNeverInstalls() throws IOException {
        assumeTrue(FuseRequirement.isRoot() && Cmd.exists("setpriv"), "needs root and setpriv to start the launcher as nobody");
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                launcherCopy().toString());

        Cmd.Result r = run(path(emptyLdconfig, stubs), asNobody, "RAMDISKFS_CHECK_ONLY=1");

        r.assertFailsWith("not installing libfuse2 (not root)");
        assertTrue(r.stderr().contains("missing libfuse2: libfuse.so.2 not found by ldconfig -p"), r.describe());
        assertNoAptCall(r);
    }

    @Test
    void binTestNeverCallsAnInstalledLibfuse2Missing() {
        // mvn and java are stubs: bin/test runs its checks and "mvn -B verify" returns at once.
        for (int i = 0; i < 30; i++) {
            Cmd.Result r = run(path(bigLdconfig, stubs), List.of(TEST_COMMAND.toString(), "-q"), "RAMDISKFS_NO_INSTALL=1");
            r.assertOk();
            assertEquals("mvn stub: -B verify -q", r.out(), r.describe());
            if (r.stderr().matches("(?s).*missing packages:[^\n]*\\b(libfuse2|fuse)\\b.*")) {
                fail("bin/test run " + (i + 1) + " called FUSE 2 missing\n" + r.describe());
            }
            assertNoAptCall(r);
        }
        Cmd.Result missing = run(path(emptyLdconfig, stubs), List.of(TEST_COMMAND.toString()), "RAMDISKFS_NO_INSTALL=1");
        missing.assertOk();
        assertTrue(missing.stderr().matches("(?s).*bin/test: missing packages:[^\n]*\\blibfuse2\\b.*"), missing.describe());
        assertNoAptCall(missing);
    }

    /** {@code runs} calls of have_libfuse2 and fuse_missing in one shell, as the scripts call them. */
    private void checkLoop(int runs, Path... pathFirst) {
        String script = "set -euo pipefail\n"
                + ". '" + CHECKS + "'\n"
                + "for i in $(seq " + runs + "); do\n"
                + "    have_libfuse2 || echo \"run $i: have_libfuse2 says libfuse.so.2 is missing\"\n"
                + "    missing=\"$(fuse_missing)\"\n"
                + "    [ -z \"$missing\" ] || echo \"run $i: fuse_missing says: $missing\"\n"
                + "done\n"
                + "echo \"$i runs\"\n";
        Cmd.Result r = run(path(pathFirst), List.of("bash", "-c", script)).assertOk();
        assertEquals(runs + " runs", r.out(), "the check called an installed libfuse2 or fusermount missing\n" + r.describe());
    }

    private void assertNoAptCall(Cmd.Result r) {
        assertFalse(Files.exists(aptLog) || r.stderr().contains(APT_MARK), "apt-get was called\n" + r.describe() + aptCalls());
    }

    private String aptCalls() {
        try {
            return Files.exists(aptLog) ? "--- apt-get calls ---\n" + Files.readString(aptLog) : "";
        } catch (IOException e) {
            return "--- apt-get calls: " + e + "\n";
        }
    }

    /** The PATH of a run: {@code first} before the PATH this test runs with. */
    private static String path(Path... first) {
        List<String> parts = new ArrayList<>();
        for (Path p : first) {
            parts.add(p.toString());
        }
        parts.add(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        return String.join(":", parts);
    }

    /** Runs {@code command} with PATH and {@code env} set, and no inherited RAMDISKFS_* switches. */
    private static Cmd.Result run(String path, List<String> command, String... env) {
        List<String> line = Cmd.line("env", "-u", "RAMDISKFS_NO_INSTALL", "-u", "RAMDISKFS_CHECK_ONLY",
                "-u", "RAMDISKFS_NO_BUILD", "PATH=" + path);
        line.addAll(List.of(env));
        line.addAll(command);
        return Cmd.run(TIMEOUT, line);
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}

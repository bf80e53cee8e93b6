package io.ramdiskfs.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The command line as a child process: {@code java -jar <ramdiskfs.jar> ARGS}, stdout and stderr
 * in files under target/. {@link #close} stops it (SIGTERM, then SIGKILL) and clears its mount
 * point if it left a mount behind; it only ever signals the PID it started.
 */
public final class CliProcess implements AutoCloseable {
    public static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger RUNS = new AtomicInteger();

    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final Path mountPoint;

    private CliProcess(List<String> command, Process process, Path stdout, Path stderr, Path mountPoint) {
        this.command = command;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.mountPoint = mountPoint;
    }

    /** The jar built by fuse-mount, from the {@code ramdiskfs.jar} system property failsafe sets. */
    public static Path jar() {
        String p = System.getProperty("ramdiskfs.jar");
        if (p == null) {
            throw new IllegalStateException("system property ramdiskfs.jar is not set (run through mvn verify)");
        }
        Path jar = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build it first (mvn -B install -DskipTests)");
        }
        return jar;
    }

    /**
     * Starts {@code ramdiskfs ARGS}. {@code mountPoint} is where it will mount (null if it is not
     * expected to); only that directory is ever unmounted by {@link #close}.
     */
    public static CliProcess start(Path logDir, String name, Path mountPoint, List<String> args) {
        return start(logDir, name, mountPoint, List.of(), args);
    }

    /**
     * {@link #start(Path, String, Path, List)} with {@code wrapper} before {@code java} (e.g. a
     * shell that moves itself into a cgroup, then execs the rest): its PID is then the JVM's.
     */
    public static CliProcess start(Path logDir, String name, Path mountPoint, List<String> wrapper, List<String> args) {
        return start(logDir, name, mountPoint, wrapper, jar(), args);
    }

    /**
     * {@link #start(Path, String, Path, List, List)} from another copy of the jar (its {@code lib/}
     * beside it), e.g. one that a user other than root can read.
     */
    public static CliProcess start(Path logDir, String name, Path mountPoint, List<String> wrapper, Path jar, List<String> args) {
        return start(logDir, name, mountPoint, wrapper, jar, List.of("-Xmx256m"), args);
    }

    /** {@link #start(Path, String, Path, List, Path, List)} with {@code jvmFlags} (e.g. a smaller -Xmx) instead of -Xmx256m. */
    public static CliProcess start(Path logDir, String name, Path mountPoint, List<String> wrapper, Path jar, List<String> jvmFlags,
            List<String> args) {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        try {
            Files.createDirectories(logDir);
            String base = name + "-" + RUNS.incrementAndGet();
            Path out = logDir.resolve(base + ".out");
            Path err = logDir.resolve(base + ".err");
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            CliProcess c = new CliProcess(List.copyOf(cmd), p, out, err, mountPoint);
            Leftovers.register(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Polls until the mount point is a live ramdiskfs mount (listed in /proc/self/mountinfo as
     * fuse.ramdiskfs and answering; a dead mount left by a killed run does not count) and the
     * process has said "mounted DIR", after which it handles SIGTERM. Fails with the child's output
     * if it exits first or {@link #MOUNT_TIMEOUT} passes.
     */
    public CliProcess awaitMount() {
        long deadline = System.nanoTime() + MOUNT_TIMEOUT.toNanos();
        while (true) {
            if (MountInfo.isLiveRamdiskfs(mountPoint) && stderr().contains("mounted " + mountPoint)) {
                return this;
            }
            if (!process.isAlive()) {
                throw new AssertionError("ramdiskfs exited with " + process.exitValue() + " before mounting " + mountPoint + "\n" + describe());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ramdiskfs did not mount " + mountPoint + " within " + MOUNT_TIMEOUT.toSeconds() + " s\n"
                        + MountInfo.describe() + "\n" + describe());
            }
            sleep(100);
        }
    }

    /**
     * Polls (without sleeping) until the kernel lists a live mount at the mount point, and
     * nothing more: the earliest moment a user could see the mount.
     */
    public CliProcess awaitMountListed() {
        long deadline = System.nanoTime() + MOUNT_TIMEOUT.toNanos();
        while (!MountInfo.isLiveRamdiskfs(mountPoint)) {
            if (!process.isAlive()) {
                throw new AssertionError("ramdiskfs exited with " + process.exitValue() + " before mounting " + mountPoint + "\n" + describe());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ramdiskfs did not mount " + mountPoint + " within " + MOUNT_TIMEOUT.toSeconds() + " s\n" + describe());
            }
            Thread.onSpinWait();
        }
        return this;
    }

    /** Waits for the exit code; fails with the output if it does not come within {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("ramdiskfs still runs " + timeout.toSeconds() + " s later\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    /** Sends a signal with {@code kill -s NAME PID} to this child only. */
    public void signal(String name) {
        Cmd.ok("kill", "-s", name, Long.toString(pid()));
    }

    /** {@code kill -9}: no chance to unmount. Waits until the process is gone. */
    public void kill9() {
        signal("KILL");
        awaitExit(Duration.ofSeconds(30));
    }

    /**
     * SIGKILL sent from this JVM at once (no {@code kill} process to fork first, which takes
     * milliseconds: a save of tens of MiB is over in tens of them). Waits until the process is gone.
     */
    public void kill9Now() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** SIGTERM sent from this JVM at once; does not wait. */
    public void terminateNow() {
        process.destroy();
    }

    /** {@code java -jar <ramdiskfs.jar> ARGS}: a one-shot command (save, commit, snapshot...) to run against a mount. */
    public static List<String> commandLine(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    /** The command, exit state and both outputs, for failure messages. */
    public String describe() {
        return "$ " + String.join(" ", command) + "\n(" + (process.isAlive() ? "running, pid " + pid() : "exit " + process.exitValue())
                + ")\n--- stdout (" + stdout + ") ---\n" + stdout() + "--- stderr (" + stderr + ") ---\n" + stderr();
    }

    /**
     * Stops the child if it still runs (SIGTERM, 20 s, then SIGKILL) and clears a mount it left at
     * its own mount point.
     */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy(); // SIGTERM
                if (!waitQuietly(20)) {
                    process.destroyForcibly();
                    waitQuietly(20);
                }
            }
            if (mountPoint != null && MountInfo.isMounted(mountPoint) && !isMountedByAnotherLiveChild()) {
                if (!Cmd.run("fusermount", "-u", mountPoint.toString()).ok()) {
                    Cmd.run("fusermount", "-u", "-z", mountPoint.toString());
                }
            }
        } finally {
            Leftovers.unregister(this);
        }
    }

    /** Another child of this test still serves the same mount point (a refused second start). */
    private boolean isMountedByAnotherLiveChild() {
        return Leftovers.anotherLiveChildServes(this, mountPoint);
    }

    private boolean waitQuietly(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** For the JVM shutdown hook: SIGKILL, no waiting. */
    void killNow() {
        process.destroyForcibly();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? new String(Files.readAllBytes(p), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")\n";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}

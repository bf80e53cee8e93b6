package io.ramdiskfs.it.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command (a real client: dd, cmp, losetup, fio...) with a timeout, stdin from
 * /dev/null, stdout and stderr captured. Assertions put the command line and its whole output in
 * the failure message.
 */
public final class Cmd {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private Cmd() {}

    /** What a finished command did. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr, Duration took) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** Exit code 0, else an AssertionError showing the command and its output. */
        public Result assertOk() {
            return assertExit(0);
        }

        public Result assertExit(int expected) {
            if (exitCode != expected) {
                throw new AssertionError("expected exit code " + expected + " but got " + exitCode + "\n" + describe());
            }
            return this;
        }

        /** Any non-zero exit code, with {@code stderrFragment} in stderr. */
        public Result assertFailsWith(String stderrFragment) {
            if (exitCode == 0) {
                throw new AssertionError("expected a failure (\"" + stderrFragment + "\") but it succeeded\n" + describe());
            }
            if (!stderr.contains(stderrFragment)) {
                throw new AssertionError("expected \"" + stderrFragment + "\" in stderr\n" + describe());
            }
            return this;
        }

        /** stdout without the trailing newline. */
        public String out() {
            return stdout.strip();
        }

        public String describe() {
            return "$ " + String.join(" ", command) + "\n(exit " + exitCode + " after " + took.toMillis() + " ms)\n"
                    + "--- stdout ---\n" + tail(stdout) + "--- stderr ---\n" + tail(stderr);
        }

        private static String tail(String s) {
            String t = s.length() > 8000 ? "[... " + (s.length() - 8000) + " chars ...]" + s.substring(s.length() - 8000) : s;
            return t.isEmpty() || t.endsWith("\n") ? t : t + "\n";
        }
    }

    public static Result run(String... command) {
        return run(DEFAULT_TIMEOUT, Arrays.asList(command));
    }

    public static Result run(List<String> command) {
        return run(DEFAULT_TIMEOUT, command);
    }

    public static Result run(Duration timeout, String... command) {
        return run(timeout, Arrays.asList(command));
    }

    /** Shorthand: run and assert exit code 0. */
    public static Result ok(String... command) {
        return run(command).assertOk();
    }

    /**
     * Runs {@code command}; on timeout kills it (and its children) and fails with what it printed
     * so far.
     */
    public static Result run(Duration timeout, List<String> command) {
        List<String> cmd = List.copyOf(command);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("ramdiskfs-it-cmd", ".out");
            err = Files.createTempFile("ramdiskfs-it-cmd", ".err");
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(new File("/dev/null"))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                kill(p);
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while running " + String.join(" ", cmd), e);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            if (!done) {
                kill(p);
                Result r = new Result(cmd, -1, read(out), read(err), took);
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s\n" + r.describe());
            }
            return new Result(cmd, p.exitValue(), read(out), read(err), took);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", cmd), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** True when {@code tool} is on the PATH. */
    public static boolean exists(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** A mutable command line, for commands assembled from parts. */
    public static List<String> line(String... parts) {
        return new ArrayList<>(Arrays.asList(parts));
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8); // replaces malformed bytes
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // a temp file: nothing to do
            }
        }
    }
}

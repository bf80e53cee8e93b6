package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.Cmd;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client (dd, fio) running while the test does something else, output in files under the
 * test's directory. {@link #close} kills it, and only it and its own children, if it still runs.
 */
final class Background implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path out;
    private final Path err;
    private final long started = System.nanoTime();

    private Background(List<String> command, Process process, Path out, Path err) {
        this.command = command;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    static Background start(Path logDir, String name, List<String> command) {
        try {
            Files.createDirectories(logDir);
            Path out = logDir.resolve(name + ".out");
            Path err = logDir.resolve(name + ".err");
            Process p = new ProcessBuilder(command)
                    .directory(logDir.toFile()) // fio state files and the like land here, not in the module
                    .redirectInput(new File("/dev/null"))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            return new Background(List.copyOf(command), p, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Seconds since the start. */
    double elapsedSeconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** Waits for the end; fails (and kills it) after {@code timeout}. */
    Cmd.Result await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                String now = describe();
                close();
                throw new AssertionError("still running after " + timeout.toSeconds() + " s; killed\n" + now);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return new Cmd.Result(command, process.exitValue(), read(out), read(err), Duration.ofNanos(System.nanoTime() - started));
    }

    String describe() {
        return "$ " + String.join(" ", command) + "\n(" + (process.isAlive() ? "running, pid " + process.pid() : "exit " + process.exitValue())
                + ")\n--- stdout ---\n" + read(out) + "--- stderr ---\n" + read(err);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")\n";
        }
    }
}

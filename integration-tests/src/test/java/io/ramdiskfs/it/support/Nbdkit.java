package io.ramdiskfs.it.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nbdkit in the foreground, a child of this JVM ({@code --exit-with-parent}), its log in a file.
 * {@link #start} returns once nbdkit accepts connections (it writes its pidfile then);
 * {@link #close} stops this one process, by its PID.
 */
public final class Nbdkit implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path log;

    private Nbdkit(List<String> command, Process process, Path log) {
        this.command = command;
        this.process = process;
        this.log = log;
    }

    /**
     * {@code WRAPPER nbdkit --foreground --exit-with-parent -P PIDFILE ARGS}, e.g. with
     * {@code ip netns exec NS} as the wrapper and {@code -U SOCKET file dir=MOUNT} as the args.
     */
    public static Nbdkit start(Path dir, String name, List<String> wrapper, List<String> args) {
        Path pidfile = dir.resolve(name + ".pid");
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of("nbdkit", "--foreground", "--exit-with-parent", "-P", pidfile.toString()));
        cmd.addAll(args);
        try {
            Files.deleteIfExists(pidfile);
            Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            Nbdkit n = new Nbdkit(List.copyOf(cmd), p, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.exists(pidfile) && Files.size(pidfile) > 0)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    n.close();
                    throw new AssertionError("nbdkit did not start\n" + n.describe());
                }
                Thread.sleep(20);
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public String describe() {
        String out;
        try {
            out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            out = "(cannot read " + log + ")";
        }
        return "$ " + String.join(" ", command) + "\n(" + (process.isAlive() ? "running, pid " + process.pid() : "exit " + process.exitValue())
                + ")\n--- log ---\n" + out;
    }

    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(20, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

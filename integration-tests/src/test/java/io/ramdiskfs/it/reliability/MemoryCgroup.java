package io.ramdiskfs.it.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A memory cgroup of this test's own, with a limit: v2 ({@code memory.max}) where the unified
 * hierarchy has the memory controller, else v1 ({@code memory.limit_in_bytes}), directly under the
 * hierarchy's root (never inside the cgroup this JVM runs in). {@link #wrap} starts a command in
 * it; {@link #close} removes it once its processes are gone (the test stops them: only its own).
 */
final class MemoryCgroup implements AutoCloseable {
    private final Path dir;
    private final boolean v2;

    private MemoryCgroup(Path dir, boolean v2) {
        this.dir = dir;
        this.v2 = v2;
    }

    /** A new cgroup limited to {@code bytes}; fails the test when this machine has no memory controller. */
    static MemoryCgroup create(String name, long bytes) {
        try {
            Path unified = mountOf("cgroup2", null);
            Path dir;
            boolean v2 = unified != null && Files.readString(unified.resolve("cgroup.controllers")).contains("memory");
            if (v2) {
                Path control = unified.resolve("cgroup.subtree_control");
                if (!Files.readString(control).contains("memory")) {
                    Files.writeString(control, "+memory");
                }
                dir = unified.resolve(name + "-" + ProcessHandle.current().pid());
            } else {
                Path v1 = mountOf("cgroup", "memory");
                if (v1 == null) {
                    throw new AssertionError("no memory cgroup controller on this machine (neither v2 nor v1 is mounted)");
                }
                dir = v1.resolve(name + "-" + ProcessHandle.current().pid());
            }
            Files.createDirectory(dir);
            MemoryCgroup cg = new MemoryCgroup(dir, v2);
            Files.writeString(dir.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"), Long.toString(bytes));
            if (v2 && Files.exists(dir.resolve("memory.swap.max"))) {
                Files.writeString(dir.resolve("memory.swap.max"), "0");
            }
            return cg;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The mount point of the hierarchy with {@code fsType} (and, for v1, the controller {@code option}). */
    private static Path mountOf(String fsType, String option) throws IOException {
        for (String m : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = m.split(" - ", 2);
            String[] left = halves[0].split(" ");
            String[] right = halves.length > 1 ? halves[1].split(" ") : new String[0];
            if (right.length >= 3 && right[0].equals(fsType) && (option == null || List.of(right[2].split(",")).contains(option))) {
                return Path.of(left[4]);
            }
        }
        return null;
    }

    Path dir() {
        return dir;
    }

    /** {@code command}, started by a shell that first moves itself into this cgroup and then execs it. */
    List<String> wrap() {
        return List.of("sh", "-c", "echo $$ > " + dir.resolve("cgroup.procs") + " && exec \"$@\"", "in-cgroup");
    }

    /** How many times the kernel's OOM killer stopped a process of this cgroup. */
    long oomKills() {
        Path f = dir.resolve(v2 ? "memory.events" : "memory.oom_control");
        try {
            for (String line : Files.readAllLines(f)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring(8).trim());
                }
            }
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The most memory the cgroup's processes held at once (v1; v2 from 5.19 on: memory.peak), or -1. */
    long peakBytes() {
        Path f = dir.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes");
        try {
            return Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<Long> pids() {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(s -> !s.isBlank()).map(Long::parseLong).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the cgroup; waits up to 20 s for its processes (which the test stops) to go. */
    @Override
    public void close() {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!pids().isEmpty() && System.nanoTime() < deadline) {
            Await.sleep(100);
        }
        try {
            Files.delete(dir);
        } catch (IOException e) {
            throw new AssertionError("cannot remove the cgroup " + dir + " (processes left: " + pids() + ")", e);
        }
    }
}

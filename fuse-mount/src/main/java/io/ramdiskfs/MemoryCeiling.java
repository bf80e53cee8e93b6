package io.ramdiskfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory the kernel lets this process hold: the limit of its memory cgroup (v2
 * {@code memory.max}, the smallest on the way up to the hierarchy's root; v1
 * {@code hierarchical_memory_limit}), and the budget that fits under it.
 *
 * <p>Why: disk memory is anonymous and there is no swap to push it to, so a budget above the
 * cgroup's limit does not end in ENOSPC: the kernel's OOM killer stops the whole process once the
 * disks reach the limit (measured: a 300 MiB cgroup, {@code --memory-limit 2G}, dd of 800 MiB:
 * the JVM killed at 300 MiB, every disk lost, writers answered "Software caused connection abort",
 * the mount left dead). A budget clamped below the limit turns the same load into ENOSPC for the
 * write that does not fit, with the process and every disk alive. The clamp leaves
 * {@link #reserve} for everything else the process holds (the JVM's heap and code, threads,
 * request buffers).
 */
public final class MemoryCeiling {
    private static final Logger log = LoggerFactory.getLogger(MemoryCeiling.class);
    private static final long MIB = 1L << 20;
    /** Values at or above this mean "no limit" (v1 reports 2^63 rounded down to a page). */
    private static final long UNLIMITED = 1L << 62;

    private MemoryCeiling() {}

    /** The process's cgroup memory limit and the file it was read from. */
    public record Limit(long bytes, Path file) {}

    /**
     * {@code requested} itself, or less when the cgroup would kill the process first (said in one
     * warning line).
     *
     * @throws IllegalStateException when the cgroup leaves nothing for disks at all
     */
    public static long clamp(long requested) {
        return clamp(requested, find(Path.of("/proc/self/cgroup"), Path.of("/proc/self/mountinfo")).orElse(null));
    }

    static long clamp(long requested, Limit limit) {
        if (limit == null) {
            return requested;
        }
        long reserve = reserve(limit.bytes());
        long fits = limit.bytes() - reserve;
        if (fits <= 0) {
            throw new IllegalStateException("the memory cgroup allows this process only " + limit.bytes() + " bytes ("
                    + limit.file() + "), less than the " + reserve + " it needs besides its disks");
        }
        if (requested <= fits) {
            return requested;
        }
        log.warn("memory limit {} bytes is more than the memory cgroup allows ({} bytes, {}): using {} bytes, leaving {}"
                + " for the JVM, so that a write past it gets ENOSPC instead of the kernel's OOM killer stopping ramdiskfs",
                requested, limit.bytes(), limit.file(), fits, reserve);
        return fits;
    }

    /** What the process needs besides its disks: an eighth of the limit, at least 128 MiB, at most 1 GiB. */
    static long reserve(long cgroupLimit) {
        return Math.min(1024 * MIB, Math.max(128 * MIB, cgroupLimit / 8));
    }

    /** The process's memory limit, from {@code /proc/self/cgroup} and {@code /proc/self/mountinfo}; empty when none. */
    static java.util.Optional<Limit> find(Path cgroups, Path mountinfo) {
        try {
            List<String> memberships = Files.readAllLines(cgroups);
            List<String> mounts = Files.readAllLines(mountinfo);
            Limit best = null;
            for (String line : memberships) {
                String[] f = line.split(":", 3);
                if (f.length < 3) {
                    continue;
                }
                boolean v2 = f[0].equals("0") && f[1].isEmpty();
                boolean v1 = !v2 && List.of(f[1].split(",")).contains("memory");
                if (!v1 && !v2) {
                    continue;
                }
                Limit l = v2 ? walkUp(mounts, "cgroup2", null, f[2], "memory.max") : walkUp(mounts, "cgroup", "memory", f[2], null);
                if (l != null && (best == null || l.bytes() < best.bytes())) {
                    best = l;
                }
            }
            return java.util.Optional.ofNullable(best);
        } catch (IOException | RuntimeException e) {
            log.debug("cannot read the memory cgroup's limit", e);
            return java.util.Optional.empty();
        }
    }

    /**
     * The smallest limit from the process's cgroup directory up to the mount's root: v2 reads
     * {@code file} in each; v1 reads {@code hierarchical_memory_limit} of {@code memory.stat},
     * which is already the smallest on the way up.
     */
    private static Limit walkUp(List<String> mounts, String fsType, String option, String cgroupPath, String file)
            throws IOException {
        for (String m : mounts) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            String[] halves = m.split(" - ", 2);
            if (halves.length < 2) {
                continue;
            }
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            if (left.length < 5 || right.length < 3 || !right[0].equals(fsType)
                    || (option != null && !List.of(right[2].split(",")).contains(option))) {
                continue;
            }
            String root = left[3];
            Path mountPoint = Path.of(left[4].replace("\\040", " "));
            String relative = cgroupPath.startsWith(root) ? cgroupPath.substring(root.length()) : cgroupPath;
            Path dir = mountPoint.resolve(relative.replaceFirst("^/+", ""));
            if (!Files.isDirectory(dir)) {
                dir = mountPoint; // a namespaced view that does not show our own directory
            }
            return file != null ? smallestUpTo(dir, mountPoint, file) : v1Limit(dir);
        }
        return null;
    }

    private static Limit smallestUpTo(Path dir, Path top, String file) throws IOException {
        Limit best = null;
        for (Path d = dir; d != null && d.startsWith(top); d = d.getParent()) {
            Path f = d.resolve(file);
            if (Files.isReadable(f)) {
                String v = Files.readString(f).trim();
                if (!v.equals("max")) {
                    long bytes = Long.parseLong(v);
                    if (bytes < UNLIMITED && (best == null || bytes < best.bytes())) {
                        best = new Limit(bytes, f);
                    }
                }
            }
        }
        return best;
    }

    private static Limit v1Limit(Path dir) throws IOException {
        Path stat = dir.resolve("memory.stat");
        if (!Files.isReadable(stat)) {
            return null;
        }
        for (String line : Files.readAllLines(stat)) {
            if (line.startsWith("hierarchical_memory_limit ")) {
                long bytes = Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
                return bytes < UNLIMITED ? new Limit(bytes, stat) : null;
            }
        }
        return null;
    }
}

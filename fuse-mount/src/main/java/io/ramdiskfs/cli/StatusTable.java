package io.ramdiskfs.cli;

import io.ramdiskfs.stats.OpStats;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code ramdiskfs status} for people: two tables, ASCII only (a C locale prints µ as '?'). */
public final class StatusTable {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private StatusTable() {}

    public static String render(Path mountPoint, MountStatus s) {
        StringBuilder sb = new StringBuilder();
        Duration up = Duration.ofMillis(Math.max(0, s.takenAtMillis() - s.mountedAtMillis()));
        sb.append(mountPoint).append(": ").append(s.disks().size()).append(s.disks().size() == 1 ? " disk" : " disks")
                .append(", mounted ").append(WHEN.format(Instant.ofEpochMilli(s.mountedAtMillis())))
                .append(" (up ").append(uptime(up)).append(")\n");
        sb.append("memory: ").append(bytes(s.memoryUsedBytes())).append(" used of ").append(bytes(s.memoryLimitBytes()))
                .append(String.format(Locale.ROOT, " (%.1f%%)", s.memoryLimitBytes() == 0 ? 0.0 : 100.0 * s.memoryUsedBytes() / s.memoryLimitBytes()))
                .append("\n\n");
        boolean snapshots = s.disks().stream().anyMatch(d -> d.snapshots() != null);
        List<String[]> rows = new ArrayList<>();
        rows.add(snapshots ? new String[] {"DISK", "SIZE", "MEMORY", "ZEROS", "MODE", "LAYERS", "SNAPSHOTS"}
                : new String[] {"DISK", "SIZE", "MEMORY", "ZEROS", "MODE", "LAYERS"});
        for (DiskStatus d : s.disks()) {
            String mode = d.readOnly() ? "ro" : "rw";
            if (snapshots) {
                String snaps = d.snapshots() == null || d.snapshots().isEmpty() ? "-" : String.join(" ", d.snapshots());
                rows.add(new String[] {d.name(), bytes(d.sizeBytes()), bytes(d.committedBytes()), bytes(d.zeroBytes()), mode, d.layers(), snaps});
            } else {
                rows.add(new String[] {d.name(), bytes(d.sizeBytes()), bytes(d.committedBytes()), bytes(d.zeroBytes()), mode, d.layers()});
            }
        }
        table(sb, rows);
        if (s.disks().isEmpty()) {
            return sb.toString();
        }
        sb.append('\n');
        rows = new ArrayList<>();
        rows.add(new String[] {"DISK", "I/O", "OPS", "BYTES", "ERRORS", "MEAN", "P50", "P90", "P99", "P99.9"});
        for (DiskStatus d : s.disks()) {
            io(rows, d.name(), "read", d.reads());
            io(rows, "", "write", d.writes());
            io(rows, "", "discard", d.discards());
        }
        table(sb, rows);
        return sb.toString();
    }

    private static void io(List<String[]> rows, String disk, String what, OpStats o) {
        boolean any = o.operations() > 0;
        rows.add(new String[] {disk, what, Long.toString(o.operations()), bytes(o.bytes()), Long.toString(o.errors()),
            any ? latency(o.meanNanos()) : "-", any ? latency(o.percentileNanos(0.5)) : "-",
            any ? latency(o.percentileNanos(0.9)) : "-", any ? latency(o.percentileNanos(0.99)) : "-",
            any ? latency(o.percentileNanos(0.999)) : "-"});
    }

    private static void table(StringBuilder sb, List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]);
                if (i < r.length - 1) {
                    line.append(" ".repeat(w[i] - r[i].length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    /** Binary units, one decimal: 0 B, 512 B, 64.0 MiB, 1.0 TiB. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** 850ns, 12.3us, 1.25ms, 2.10s. */
    static String latency(double nanos) {
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.0fns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fus", nanos / 1e3);
        }
        if (nanos < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
    }

    static String uptime(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m " + (s % 60) + "s";
        }
        if (s < 86400) {
            return (s / 3600) + "h " + (s % 3600 / 60) + "m";
        }
        return (s / 86400) + "d " + (s % 86400 / 3600) + "h";
    }
}

package io.ramdiskfs.service;

import io.ramdiskfs.stats.OpStats;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import java.util.Locale;
import java.util.function.Function;

/**
 * A {@link MountStatus} in the Prometheus text exposition format (0.0.4): the figures
 * {@code ramdiskfs status} shows, in base units (bytes, seconds), counters ending in
 * {@code _total}, one {@code disk} label (no per-request labels). Latency histograms use buckets
 * that fit a RAM disk, 5 µs to 1 s, instead of the client libraries' 5 ms-10 s; every bound is
 * one of {@link io.ramdiskfs.stats.LatencyHistogram}'s, so the cumulative counts are exact.
 */
public final class PrometheusText {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Bucket bounds in nanoseconds (the exposition writes them in seconds). */
    static final long[] BUCKETS_NS = {5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 10_000_000, 100_000_000, 1_000_000_000};
    private static final String[] OPS = {"read", "write", "discard"};

    private PrometheusText() {}

    public static String render(MountStatus s) {
        StringBuilder sb = new StringBuilder(4096);
        gauge(sb, "ramdiskfs_memory_limit_bytes", "Memory budget shared by every disk (RAM layers and passthrough files).");
        sb.append("ramdiskfs_memory_limit_bytes ").append(s.memoryLimitBytes()).append('\n');
        gauge(sb, "ramdiskfs_memory_used_bytes", "Data memory held by every disk: RAM layers and the tmpfs blocks of passthrough files, as df shows.");
        sb.append("ramdiskfs_memory_used_bytes ").append(s.memoryUsedBytes()).append('\n');
        perDisk(sb, s, "gauge", "ramdiskfs_disk_size_bytes", "Size of the disk.", d -> Long.toString(d.sizeBytes()));
        perDisk(sb, s, "gauge", "ramdiskfs_disk_committed_bytes", "Data memory the disk's layers hold (a passthrough disk: its tmpfs blocks).",
                d -> Long.toString(d.committedBytes()));
        perDisk(sb, s, "counter", "ramdiskfs_disk_zero_bytes_total",
                "Bytes of writes that were zeros and took no memory (the RAM layer's zero state); a rollback drops the discarded layer's.",
                d -> Long.toString(d.zeroBytes()));
        for (String op : OPS) {
            String what = op.equals("discard") ? "Discards (punched or zeroed ranges)" : capitalized(op) + "s";
            perDisk(sb, s, "counter", "ramdiskfs_disk_" + op + "_operations_total", what + " served since the mount.",
                    d -> Long.toString(stats(d, op).operations()));
            perDisk(sb, s, "counter", "ramdiskfs_disk_" + op + "_bytes_total", "Bytes of the " + op + "s served since the mount.",
                    d -> Long.toString(stats(d, op).bytes()));
            perDisk(sb, s, "counter", "ramdiskfs_disk_" + op + "_errors_total", capitalized(op) + "s that failed since the mount.",
                    d -> Long.toString(stats(d, op).errors()));
            histogram(sb, s, op);
        }
        return sb.toString();
    }

    private static void histogram(StringBuilder sb, MountStatus s, String op) {
        String name = "ramdiskfs_disk_" + op + "_seconds";
        sb.append("# HELP ").append(name).append(" Latency of the ").append(op).append("s served since the mount.\n");
        sb.append("# TYPE ").append(name).append(" histogram\n");
        for (DiskStatus d : s.disks()) {
            OpStats o = stats(d, op);
            String disk = "disk=\"" + label(d.name()) + "\"";
            for (long b : BUCKETS_NS) {
                sb.append(name).append("_bucket{").append(disk).append(",le=\"").append(seconds(b)).append("\"} ")
                        .append(o.countAtMost(b)).append('\n');
            }
            long ops = o.operations();
            sb.append(name).append("_bucket{").append(disk).append(",le=\"+Inf\"} ").append(ops).append('\n');
            sb.append(name).append("_sum{").append(disk).append("} ").append(seconds(o.totalNanos())).append('\n');
            sb.append(name).append("_count{").append(disk).append("} ").append(ops).append('\n');
        }
    }

    private static void perDisk(StringBuilder sb, MountStatus s, String type, String name, String help,
            Function<DiskStatus, String> value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        for (DiskStatus d : s.disks()) {
            sb.append(name).append("{disk=\"").append(label(d.name())).append("\"} ").append(value.apply(d)).append('\n');
        }
    }

    private static void gauge(StringBuilder sb, String name, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
    }

    private static OpStats stats(DiskStatus d, String op) {
        return switch (op) {
            case "read" -> d.reads();
            case "write" -> d.writes();
            default -> d.discards();
        };
    }

    /** Nanoseconds as seconds, exactly (no binary floating point on the way). */
    static String seconds(long nanos) {
        return new java.math.BigDecimal(nanos).movePointLeft(9).stripTrailingZeros().toPlainString();
    }

    /** A label value: backslash, double quote and newline escaped, as the format requires. */
    static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String capitalized(String s) {
        return s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }
}

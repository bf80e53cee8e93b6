package io.ramdiskfs.status;

import io.ramdiskfs.stats.LatencyHistogram;
import io.ramdiskfs.stats.OpStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The status document, {@link MountStatus} as JSON and back. Names are snake_case in base units
 * ({@code _bytes}, {@code _ns}); latency percentiles are in microseconds for people reading it,
 * and the histogram's non-empty buckets are there too ({@code le_ns} null for the one above 10 s)
 * so that a reader can compute any other figure.
 */
public final class StatusJson {
    /** Bumped when a field changes meaning; new fields may appear without it. */
    public static final int VERSION = 1;
    static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999};
    static final String[] QUANTILE_NAMES = {"p50", "p90", "p99", "p999"};

    private StatusJson() {}

    /** The most one extended attribute may hold (Linux {@code XATTR_SIZE_MAX}): a larger value is {@code E2BIG} for every reader. */
    public static final int XATTR_SIZE_MAX = 65536;

    public static String write(MountStatus s) {
        return write(s, null);
    }

    /** The document, with {@code "mount_point"} first when {@code mountPoint} is not null. */
    public static String write(MountStatus s, String mountPoint) {
        return write(s, mountPoint, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * The document in at most {@code maxBytes} of UTF-8 (the value of {@code user.ramdiskfs.status},
     * which the kernel caps at {@link #XATTR_SIZE_MAX}): in full when it fits; else each disk's
     * snapshot list keeps its newest names, as many as fit, with {@code "snapshots_omitted": N}
     * for the older ones left out; and if even no names do not fit, the disks past those that fit
     * are left out, with {@code "disks_omitted": N}. A reader always gets a document, and is told
     * what it lacks.
     */
    public static String writeWithin(MountStatus s, int maxBytes) {
        String full = write(s, null);
        if (utf8Length(full) <= maxBytes) {
            return full;
        }
        int most = s.disks().stream().mapToInt(d -> d.snapshots() == null ? 0 : d.snapshots().size()).max().orElse(0);
        if (fits(s, 0, Integer.MAX_VALUE, maxBytes)) {
            int lo = 0; // fits
            int hi = most; // does not fit
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (fits(s, mid, Integer.MAX_VALUE, maxBytes)) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return write(s, null, lo, Integer.MAX_VALUE);
        }
        int lo = 0;
        int hi = s.disks().size();
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (fits(s, 0, mid, maxBytes)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return write(s, null, 0, lo);
    }

    private static boolean fits(MountStatus s, int keepSnapshots, int keepDisks, int maxBytes) {
        return utf8Length(write(s, null, keepSnapshots, keepDisks)) <= maxBytes;
    }

    private static int utf8Length(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** At most {@code keepSnapshots} names per disk (the newest) and the first {@code keepDisks} disks. */
    private static String write(MountStatus s, String mountPoint, int keepSnapshots, int keepDisks) {
        StringBuilder sb = new StringBuilder(1024).append('{');
        if (mountPoint != null) {
            sb.append("\"mount_point\":").append(Json.quote(mountPoint)).append(',');
        }
        sb.append("\"version\":").append(VERSION)
                .append(",\"mounted_at\":").append(Json.quote(Instant.ofEpochMilli(s.mountedAtMillis()).toString()))
                .append(",\"taken_at\":").append(Json.quote(Instant.ofEpochMilli(s.takenAtMillis()).toString()))
                .append(",\"memory\":{\"limit_bytes\":").append(s.memoryLimitBytes())
                .append(",\"used_bytes\":").append(s.memoryUsedBytes()).append('}');
        if (s.disks().size() > keepDisks) {
            sb.append(",\"disks_omitted\":").append(s.disks().size() - keepDisks);
        }
        sb.append(",\"disks\":[");
        List<DiskStatus> disks = s.disks().subList(0, Math.min(keepDisks, s.disks().size()));
        boolean first = true;
        for (DiskStatus d : disks) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            disk(sb, d, keepSnapshots);
        }
        return sb.append("]}").toString();
    }

    private static void disk(StringBuilder sb, DiskStatus d, int keepSnapshots) {
        sb.append("{\"name\":").append(Json.quote(d.name()))
                .append(",\"size_bytes\":").append(d.sizeBytes())
                .append(",\"committed_bytes\":").append(d.committedBytes())
                .append(",\"zero_bytes\":").append(d.zeroBytes())
                .append(",\"sector_size\":").append(d.sectorSize())
                .append(",\"read_only\":").append(d.readOnly())
                .append(",\"layers\":").append(Json.quote(d.layers()));
        if (d.snapshots() != null) {
            int n = d.snapshots().size();
            int from = Math.max(0, n - keepSnapshots);
            if (from > 0) {
                sb.append(",\"snapshots_omitted\":").append(from);
            }
            sb.append(",\"snapshots\":[");
            for (int i = from; i < n; i++) {
                sb.append(i > from ? "," : "").append(Json.quote(d.snapshots().get(i)));
            }
            sb.append(']');
        }
        sb.append(",\"io\":{");
        op(sb, "reads", d.reads());
        sb.append(',');
        op(sb, "writes", d.writes());
        sb.append(',');
        op(sb, "discards", d.discards());
        sb.append("}}");
    }

    private static void op(StringBuilder sb, String name, OpStats o) {
        sb.append(Json.quote(name)).append(":{\"operations\":").append(o.operations())
                .append(",\"bytes\":").append(o.bytes())
                .append(",\"errors\":").append(o.errors())
                .append(",\"total_ns\":").append(o.totalNanos())
                .append(",\"latency_us\":{\"mean\":").append(micros(o.meanNanos()));
        for (int i = 0; i < QUANTILES.length; i++) {
            sb.append(",\"").append(QUANTILE_NAMES[i]).append("\":").append(micros(o.percentileNanos(QUANTILES[i])));
        }
        sb.append("},\"latency_buckets\":[");
        long[] bounds = LatencyHistogram.bounds();
        long[] counts = o.latencyCounts();
        boolean first = true;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            sb.append(first ? "" : ",").append("{\"le_ns\":").append(i < bounds.length ? Long.toString(bounds[i]) : "null")
                    .append(",\"count\":").append(counts[i]).append('}');
            first = false;
        }
        sb.append("]}");
    }

    private static String micros(double nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000);
    }

    /** Reads a document {@link #write} made. IllegalArgumentException says what is wrong. */
    public static MountStatus parse(String json) {
        Map<String, Object> m = object(Json.parse(json), "the document");
        Map<String, Object> memory = object(m.get("memory"), "memory");
        List<DiskStatus> disks = new ArrayList<>();
        for (Object o : list(m.get("disks"), "disks")) {
            disks.add(disk(object(o, "a disk")));
        }
        return new MountStatus(number(memory, "limit_bytes"), number(memory, "used_bytes"),
                Instant.parse(text(m, "mounted_at")).toEpochMilli(), Instant.parse(text(m, "taken_at")).toEpochMilli(), disks);
    }

    private static DiskStatus disk(Map<String, Object> d) {
        List<String> snapshots = null;
        if (d.get("snapshots") != null) {
            snapshots = new ArrayList<>();
            for (Object o : list(d.get("snapshots"), "snapshots")) {
                snapshots.add(String.valueOf(o));
            }
        }
        Map<String, Object> io = object(d.get("io"), "io");
        // zero_bytes is newer than the document's version 1: a daemon without it counted none.
        long zeroBytes = d.get("zero_bytes") == null ? 0 : number(d, "zero_bytes");
        return new DiskStatus(text(d, "name"), number(d, "size_bytes"), number(d, "committed_bytes"), zeroBytes,
                (int) number(d, "sector_size"), Boolean.TRUE.equals(d.get("read_only")), text(d, "layers"), snapshots,
                op(object(io.get("reads"), "reads")), op(object(io.get("writes"), "writes")),
                op(object(io.get("discards"), "discards")));
    }

    private static OpStats op(Map<String, Object> o) {
        long[] bounds = LatencyHistogram.bounds();
        long[] counts = new long[bounds.length + 1];
        for (Object b : list(o.get("latency_buckets"), "latency_buckets")) {
            Map<String, Object> bucket = object(b, "a latency bucket");
            Object le = bucket.get("le_ns");
            int i = le == null ? bounds.length : java.util.Arrays.binarySearch(bounds, ((Number) le).longValue());
            if (i < 0) {
                throw new IllegalArgumentException("latency bucket le_ns " + le + " is not a bound of this version");
            }
            counts[i] = number(bucket, "count");
        }
        return new OpStats(number(o, "bytes"), number(o, "errors"), number(o, "total_ns"), counts);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String what) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException(what + " is not a JSON array");
        }
        return (List<Object>) o;
    }

    private static long number(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("\"" + key + "\" is not a number");
        }
        return n.longValue();
    }

    private static String text(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("\"" + key + "\" is not a string");
        }
        return s;
    }
}

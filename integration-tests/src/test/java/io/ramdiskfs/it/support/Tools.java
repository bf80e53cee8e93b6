package io.ramdiskfs.it.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real clients, run as child processes, with the parsing of their output. Comparisons run
 * {@code cmp}; when it finds a difference, the failure also says where (offset, expected, got).
 */
public final class Tools {
    private static final Pattern DD_COPIED = Pattern.compile("(?m)^(\\d+) bytes .*copied");

    private Tools() {}

    /** {@code dd} with the given operands ({@code if=...}, {@code bs=...}); check the result yourself. */
    public static Cmd.Result dd(String... operands) {
        List<String> cmd = Cmd.line("dd", "status=none");
        cmd.addAll(List.of(operands));
        return Cmd.run(cmd);
    }

    /** {@code dd} that reports how much it copied (status=default), for runs that fail part way. */
    public static Cmd.Result ddCounting(String... operands) {
        List<String> cmd = Cmd.line("dd");
        cmd.addAll(List.of(operands));
        return Cmd.run(cmd);
    }

    /** The byte count in dd's "N bytes (...) copied" line. */
    public static long ddBytesCopied(Cmd.Result r) {
        Matcher m = DD_COPIED.matcher(r.stderr());
        if (!m.find()) {
            throw new AssertionError("dd printed no 'bytes ... copied' line\n" + r.describe());
        }
        return Long.parseLong(m.group(1));
    }

    /** {@code cmp} says the whole files are equal (sizes included). */
    public static void cmp(Path expected, Path actual) {
        Cmd.Result r = Cmd.run("cmp", expected.toString(), actual.toString());
        if (!r.ok()) {
            Data.assertSameContent(expected, actual);
            throw new AssertionError("cmp found a difference that a second read did not\n" + r.describe());
        }
    }

    /** {@code cmp -i E:A -n LEN}: {@code len} bytes equal. */
    public static void cmp(Path expected, long expectedOffset, Path actual, long actualOffset, long len) {
        Cmd.Result r = Cmd.run("cmp", "-i", expectedOffset + ":" + actualOffset, "-n", Long.toString(len),
                expected.toString(), actual.toString());
        if (!r.ok()) {
            Data.assertSameBytes(expected, expectedOffset, actual, actualOffset, len);
            throw new AssertionError("cmp found a difference that a second read did not\n" + r.describe());
        }
    }

    /** {@code cmp} against {@code /dev/zero}: {@code len} bytes at {@code offset} read zeros. */
    public static void cmpZeros(Path file, long offset, long len) {
        Cmd.Result r = Cmd.run("cmp", "-i", offset + ":0", "-n", Long.toString(len), file.toString(), "/dev/zero");
        if (!r.ok()) {
            Data.assertZeros(file, offset, len);
            throw new AssertionError("cmp found a difference that a second read did not\n" + r.describe());
        }
    }

    public static void punchHole(Path file, long offset, long length) {
        Cmd.ok("fallocate", "--punch-hole", "--offset", Long.toString(offset), "--length", Long.toString(length), file.toString());
    }

    public static void zeroRange(Path file, long offset, long length) {
        Cmd.ok("fallocate", "--zero-range", "--offset", Long.toString(offset), "--length", Long.toString(length), file.toString());
    }

    /** {@code du -B1}: the bytes the file really uses (st_blocks * 512). */
    public static long du(Path file) {
        return Long.parseLong(Cmd.ok("du", "-B1", file.toString()).out().split("\\s+")[0]);
    }

    /** {@code stat -c %s}: the size. */
    public static long statSize(Path file) {
        return Long.parseLong(Cmd.ok("stat", "-c", "%s", file.toString()).out());
    }

    /** {@code stat -c %b}: st_blocks, in 512-byte units. */
    public static long statBlocks(Path file) {
        return Long.parseLong(Cmd.ok("stat", "-c", "%b", file.toString()).out());
    }

    /** {@code df -B1 --output=size,used,avail} of a mount: [size, used, available] in bytes. */
    public static long[] df(Path mountPoint) {
        Cmd.Result r = Cmd.ok("df", "-B1", "--output=size,used,avail", mountPoint.toString());
        String[] lines = r.out().split("\n");
        if (lines.length != 2) {
            throw new AssertionError("unexpected df output\n" + r.describe());
        }
        String[] f = lines[1].trim().split("\\s+");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    }

    /** {@code getfattr -d}: the user attributes as name to value. */
    public static Map<String, String> getfattr(Path file) {
        Cmd.Result r = Cmd.ok("getfattr", "-d", "--absolute-names", file.toString());
        Map<String, String> attrs = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("#") || eq < 0) {
                continue;
            }
            String v = line.substring(eq + 1);
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            attrs.put(line.substring(0, eq), v);
        }
        return attrs;
    }

    /** {@code getfattr -n user.ramdiskfs.committed_bytes --only-values}. */
    public static long committedBytes(Path file) {
        return Long.parseLong(Cmd.ok("getfattr", "-n", "user.ramdiskfs.committed_bytes", "--only-values", "--absolute-names",
                file.toString()).out());
    }

    /** The lines of a text, without empty ones. */
    public static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (!l.isBlank()) {
                out.add(l);
            }
        }
        return out;
    }
}

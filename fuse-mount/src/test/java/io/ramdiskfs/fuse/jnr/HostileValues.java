package io.ramdiskfs.fuse.jnr;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * What a hostile (or just careless) client can put in the requests the adapter decodes itself:
 * paths, attribute names, attribute values as bytes, sizes, flags, modes, ids and times. Each
 * pick mixes plain good input (so that requests also succeed and change things) with the edges:
 * empty, {@code .}, {@code ..}, {@code .snap}, slashes, NULs inside and at the end (a C string's
 * terminator counted in the size), newlines, 255 and 256 bytes, invalid UTF-8, overlong encodings,
 * encoded surrogates, 4096 and 4097 bytes, and byte-level mutations of all of them.
 */
final class HostileValues {
    static final List<String> ATTRIBUTES = List.of("user.ramdiskfs.snapshot", "user.ramdiskfs.rollback", "user.ramdiskfs.clone",
            "user.ramdiskfs.save", "user.ramdiskfs.commit", "user.ramdiskfs.layers", "user.ramdiskfs.snapshots",
            "user.ramdiskfs.committed_bytes", "user.ramdiskfs.sector_size", "user.ramdiskfs.save_status", "user.ramdiskfs.status");
    private static final List<String> BAD_ATTRIBUTES = List.of("user.ramdiskfs.", "user.ramdiskfs", "user.", "", "security.capability",
            "trusted.ramdiskfs.snapshot", "user.ramdiskfs.SNAPSHOT", "user.ramdiskfs.snapshot ", "user.ramdiskfs.snapshot\n",
            "user.ramdiskfs.snapshot\0x", "user.ramdiskfs.snapshots.x", "user.ramdiskfs." + "x".repeat(300), "user.ramdiskfs.\uFFFD");

    private final Random rnd;
    private final String scratch;

    /** {@code scratch}: a directory where a save may really write an image. */
    HostileValues(Random rnd, String scratch) {
        this.rnd = rnd;
        this.scratch = scratch;
    }

    <T> T pick(List<T> from) {
        return from.get(rnd.nextInt(from.size()));
    }

    String attribute() {
        return rnd.nextInt(3) == 0 ? pick(BAD_ATTRIBUTES) : pick(ATTRIBUTES);
    }

    /** A path as libfuse passes it (absolute), good or hostile. */
    String path(List<String> disks, List<String> snapshots) {
        String snap = snapshots.isEmpty() ? "s0" : pick(snapshots);
        String disk = disks.isEmpty() ? "a" : pick(disks);
        return switch (rnd.nextInt(10)) {
            case 0 -> pick(List.of("/", "", "//", "/.snap", "/.snap/", "/.snap//a", "/./a", "/../a", "/a/", "/a/x", "/.SNAP/" + snap,
                    "/.snapx/" + snap, "/" + "n".repeat(256), "/" + "é".repeat(128), "/x\0y", "/.snap/" + snap + "/" + disk + "/x"));
            case 1 -> "/.snap/" + text(name());
            case 2, 3 -> "/.snap/" + snap + (rnd.nextBoolean() ? "" : "/" + disk);
            case 4 -> "/" + text(name());
            default -> "/" + disk;
        };
    }

    /** A name as bytes: a snapshot, disk or image name, good or hostile. */
    byte[] name() {
        byte[] b = switch (rnd.nextInt(12)) {
            case 0 -> utf8(pick(List.of("", ".", "..", ".snap", "/", "a/b", " ", "\n", "\0", "*", "-", "...")));
            case 1 -> utf8(pick(List.of("n".repeat(255), "n".repeat(256), "é".repeat(127) + "x", "é".repeat(128), "\uFFFD", "é")));
            case 2 -> pick(List.of(new byte[] {(byte) 0xc3}, new byte[] {(byte) 0xff, 'x'}, new byte[] {(byte) 0xc0, (byte) 0xaf},
                    new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[] {'s', (byte) 0xe9, '1'},
                    new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}));
            case 3 -> utf8("s" + rnd.nextInt(4) + pick(List.of("\0", "\n", " ", "\0\0", "\r\n", "\t")));
            case 4 -> utf8(pick(List.of(" s1", "\ts1", "s\0" + "1", "s1\0junk", "\0s1")));
            case 5 -> utf8(pick(List.of("a", "b", "c" + rnd.nextInt(3))));
            case 6 -> random(rnd.nextInt(24));
            default -> utf8("s" + rnd.nextInt(6));
        };
        return rnd.nextInt(8) == 0 ? mutate(b) : b;
    }

    /** An attribute value: a name, an image path, or sizes past the limit. */
    byte[] value(String attribute) {
        if (attribute.endsWith(".save") && rnd.nextInt(2) == 0) {
            return utf8(pick(List.of("", "/nonexistent-dir/x.raw", "relative.raw", scratch, scratch + "/img.raw",
                    scratch + "/img\0.raw", scratch + "/img.raw\0", scratch + "/./img.raw\n", scratch + "/no/such/dir/x",
                    scratch + "/" + "n".repeat(300), "/proc/self/x")));
        }
        return switch (rnd.nextInt(16)) {
            case 0 -> random(4096);
            case 1 -> random(4097);
            default -> name();
        };
    }

    /** A size_t as Java sees it: small, exact, off by one, at the limits, or "negative" (over 2^63). */
    long size(int exact) {
        return switch (rnd.nextInt(10)) {
            case 0 -> 0;
            case 1 -> pick(List.of(-1L, Long.MIN_VALUE, 1L << 32, (1L << 31) - 1, 65536L, 65537L));
            case 2 -> Math.max(0, exact - 1);
            case 3 -> exact + 1;
            case 4 -> rnd.nextInt(8);
            default -> exact;
        };
    }

    int xattrFlags() {
        return switch (rnd.nextInt(8)) {
            case 0 -> pick(List.of(1, 2, 3));
            case 1 -> pick(List.of(4, 8, -1, Integer.MIN_VALUE, 0x10000));
            default -> 0;
        };
    }

    long mode() {
        return switch (rnd.nextInt(5)) {
            case 0 -> rnd.nextLong();
            case 1 -> pick(List.of(0040755L, 0100644L, 0140777L, 0170000L, 07777L, 0xFFFFFFFFL, -1L));
            default -> 0100000L | rnd.nextInt(01000);
        };
    }

    long id() {
        return switch (rnd.nextInt(5)) {
            case 0 -> pick(List.of(-1L, 0xFFFFFFFFL, 1L << 32, Long.MAX_VALUE, 65534L));
            default -> rnd.nextInt(2000);
        };
    }

    /** A (seconds, nanoseconds) pair: ordinary, UTIME_NOW/OMIT, or past what 64-bit nanoseconds hold. */
    long[] time() {
        long sec = switch (rnd.nextInt(6)) {
            case 0 -> pick(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 10_000_000_000L, -10_000_000_000L, 9_223_372_036L, -9_223_372_037L));
            case 1 -> rnd.nextLong();
            default -> 1_700_000_000L + rnd.nextInt(1_000_000);
        };
        long nsec = switch (rnd.nextInt(6)) {
            case 0 -> pick(List.of((1L << 30) - 1, (1L << 30) - 2)); // UTIME_NOW, UTIME_OMIT
            case 1 -> pick(List.of(-1L, 1_000_000_000L, 999_999_999L));
            default -> rnd.nextInt(1_000_000_000);
        };
        return new long[] {sec, nsec};
    }

    long offset() {
        return switch (rnd.nextInt(6)) {
            case 0 -> pick(List.of(-1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 50, (1L << 50) - 512, Long.MAX_VALUE - 511));
            case 1 -> rnd.nextLong();
            default -> rnd.nextInt(256 << 10);
        };
    }

    long handle(long[] good) {
        return rnd.nextInt(3) == 0 ? pick(List.of(-1L, 0L, 999_999L, Long.MAX_VALUE, Long.MIN_VALUE)) : good[rnd.nextInt(good.length)];
    }

    int openFlags() {
        return rnd.nextInt(4) == 0 ? rnd.nextInt() : pick(List.of(0, 1, 2, 2 | 0x200, 0x4000 | 2, 3));
    }

    byte[] random(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** Flips, inserts, drops or appends a byte. */
    byte[] mutate(byte[] b) {
        int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
        byte x = (byte) (rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(256));
        return switch (rnd.nextInt(4)) {
            case 0 -> {
                byte[] c = b.clone();
                if (c.length > 0) {
                    c[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                yield c;
            }
            case 1 -> {
                byte[] c = new byte[b.length + 1];
                System.arraycopy(b, 0, c, 0, at);
                c[at] = x;
                System.arraycopy(b, at, c, at + 1, b.length - at);
                yield c;
            }
            case 2 -> b.length == 0 ? b : java.util.Arrays.copyOf(b, b.length - 1);
            default -> {
                byte[] c = java.util.Arrays.copyOf(b, b.length + 1);
                c[b.length] = x;
                yield c;
            }
        };
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes as a String the way jnr-fuse decodes a path (UTF-8, bad bytes replaced). */
    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}

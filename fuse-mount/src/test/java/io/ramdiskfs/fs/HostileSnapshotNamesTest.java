package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskNames;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.NativeMemory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A seeded mutator against the {@code .snap} namespace and the values of the attributes that act
 * (snapshot, rollback, clone), as the adapter passes them to {@link DiskDirectory}: names that
 * are empty, {@code .}, {@code ..}, {@code .snap}, 255 and 256 bytes of UTF-8, with a slash, a
 * NUL, a newline; paths that are relative, doubled, below a snapshot's disk; plus mkdir, rmdir,
 * rm, rename, lookups, listings and writes in between.
 *
 * <p>What must hold: every operation succeeds or fails with an errno other than {@code EIO}
 * (nothing else is thrown); it succeeds exactly when a model of the mount (disks and snapshots
 * as byte arrays, each disk with an identity that a rename keeps: a snapshot belongs to the disk
 * it was taken of, not to its name) says it should, and then changes the mount as the model does; a refusal
 * changes nothing. Names, snapshot lists and, every {@link #CHECK_EVERY} operations, every disk's
 * and snapshot's bytes are compared with the model.
 */
class HostileSnapshotNamesTest {
    private static final int OPS = Integer.getInteger("ramdiskfs.fuzz.inputs", 10_000) / 2;
    private static final int CHECK_EVERY = 100;
    private static final int SIZE = 16 << 10;

    static long[] seeds() {
        Long fixed = Long.getLong("ramdiskfs.fuzz.seed");
        return fixed != null ? new long[] {fixed} : new long[] {7, 0xdead_5eedL, System.nanoTime()};
    }

    private Fixture fx;
    private DiskDirectory dir;
    /** The model: disks, and snapshots (oldest first) with the disks each holds. */
    private final Map<String, byte[]> disks = new TreeMap<>();
    private final Map<String, Map<String, byte[]>> snaps = new LinkedHashMap<>();
    /** Each disk's identity, by its name now; a rename keeps it, a new disk (create, clone) gets a new one. */
    private final Map<String, Long> ids = new TreeMap<>();
    /** Per snapshot, the identity of the disk each of its entries (by the name then) was taken of. */
    private final Map<String, Map<String, Long>> snapIds = new LinkedHashMap<>();
    private long nextId;
    private final Deque<String> recent = new ArrayDeque<>();

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyNameIsRefusedOrAcceptedAsTheModelSaysAndRefusalsChangeNothing(long seed) throws Exception {
        try (Fixture f = new Fixture()) {
            fx = f;
            dir = f.dir;
            for (String d : List.of("a", "b")) {
                f.add(d, SIZE);
                newDisk(d, new byte[SIZE]);
            }
            Random rnd = new Random(seed);
            int refused = 0;
            for (int i = 0; i < OPS; i++) {
                try {
                    if (!oneOp(rnd)) {
                        refused++;
                    }
                    compareNames();
                    if (i % CHECK_EVERY == CHECK_EVERY - 1) {
                        compareBytes();
                    }
                } catch (Throwable t) {
                    StringBuilder state = new StringBuilder("model: disks " + disks.keySet());
                    snaps.forEach((k, v) -> state.append(", ").append(printable(k)).append(' ').append(v.keySet()));
                    throw new AssertionError(state + "\nseed " + seed + ", operation " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed
                            + "); the last operations:\n" + String.join("\n", recent) + "\n" + t, t);
                }
            }
            compareBytes();
            System.out.println("seed " + seed + ": " + OPS + " operations, " + refused + " refused, " + snaps.size()
                    + " snapshots and " + disks.size() + " disks at the end");
            assertTrue(refused > OPS / 10 && refused < OPS * 9 / 10, refused + " of " + OPS + " refused: the mix is lopsided");
        }
    }

    // ------------------------------------------------------------------ names

    private static final String LONG_OK = "n".repeat(255);
    private static final String LONG_BAD = "n".repeat(256);
    private static final String UTF8_OK = "é".repeat(127) + "x"; // 255 bytes
    private static final String UTF8_BAD = "é".repeat(128); // 256 bytes

    private String name(Random rnd) {
        return switch (rnd.nextInt(14)) {
            case 0 -> pick(rnd, "", ".", "..", ".snap", "/", "a/b", "s1/", "/s1", "x\0y", "\0", " ", "s1\n", "..." , "*", "-");
            case 1 -> pick(rnd, LONG_OK, LONG_BAD, UTF8_OK, UTF8_BAD, "\uD800", "\uFFFD", "é");
            case 2 -> existingDisk(rnd);
            case 3, 4 -> existingSnap(rnd);
            default -> "s" + rnd.nextInt(6);
        };
    }

    private String existingDisk(Random rnd) {
        List<String> l = new ArrayList<>(disks.keySet());
        return l.isEmpty() ? "a" : l.get(rnd.nextInt(l.size()));
    }

    private String existingSnap(Random rnd) {
        List<String> l = new ArrayList<>(snaps.keySet());
        return l.isEmpty() ? "s0" : l.get(rnd.nextInt(l.size()));
    }

    private String diskPath(Random rnd) {
        return switch (rnd.nextInt(12)) {
            case 0 -> pick(rnd, "/", "", "a", "//a", "/a/", "/a/x", "/.snap", "/.snap/", "/.snap//a", "/.snap/" + existingSnap(rnd) + "/a/x");
            case 1, 2 -> "/.snap/" + existingSnap(rnd) + "/" + (rnd.nextInt(4) == 0 ? name(rnd) : existingDisk(rnd));
            case 3 -> "/" + name(rnd);
            default -> "/" + existingDisk(rnd);
        };
    }

    private static String pick(Random rnd, String... s) {
        return s[rnd.nextInt(s.length)];
    }

    private static boolean valid(String name) {
        return DiskNames.problem(name) == null;
    }

    // ------------------------------------------------------------------ operations

    /** One operation; false when it was refused. */
    private boolean oneOp(Random rnd) throws Exception {
        for (String d : List.of("a", "b")) { // keep disks to act on: deletes and renames take them away
            if (disks.size() < 2 && !disks.containsKey(d)) {
                fx.add(d, SIZE);
                newDisk(d, new byte[SIZE]);
            }
        }
        int op = rnd.nextInt(12);
        String path = diskPath(rnd);
        if (path.equals("/") && (op == 1 || op == 3)) {
            op++; // on the root, snapshot and rollback act on every disk
        }
        String name = name(rnd);
        String what = switch (op) {
            case 0 -> "mkdir /.snap/" + name;
            case 1 -> "setfattr snapshot=" + name + " " + path;
            case 2 -> "setfattr snapshot=" + name + " /";
            case 3 -> "setfattr rollback=" + name + " " + path;
            case 4 -> "setfattr rollback=" + name + " /";
            case 5 -> "setfattr clone=" + name + " " + path;
            case 6 -> "rmdir /.snap/" + name;
            case 7 -> "rm " + path;
            case 8 -> "rename " + path + " /" + name;
            case 9 -> "write " + path;
            case 10 -> "setfattr user.ramdiskfs." + name + "=" + name + " " + path;
            default -> "look at " + path;
        };
        recent.addLast(printable(what));
        if (recent.size() > 20) {
            recent.removeFirst();
        }
        boolean expected = expectedToSucceed(op, path, name);
        boolean succeeded;
        try {
            act(op, path, name, rnd);
            succeeded = true;
        } catch (FsException | DiskException e) {
            assertTrue(ErrnoMapper.errno(e) != Errno.EIO, "EIO: " + e);
            succeeded = false;
            if (expected) {
                throw new AssertionError(printable(what) + " was refused (" + ErrnoMapper.errno(e) + ": " + e.getMessage() + ") where the model allows it");
            }
        }
        if (succeeded) {
            assertTrue(expected || op == 11, printable(what) + " succeeded where the model refuses it");
            applyToModel(op, path, name);
        }
        return succeeded;
    }

    /** The operation as ASCII: a lone surrogate or a NUL would cut a test report short. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return b.toString().replace("n".repeat(200), "n{200}");
    }

    private void act(int op, String path, String name, Random rnd) throws Exception {
        switch (op) {
            case 0 -> dir.snapshotAll(name);
            case 1 -> dir.setXattr(path, ControlAttributes.SNAPSHOT, name, 0, 0);
            case 2 -> dir.setXattr("/", ControlAttributes.SNAPSHOT, name, 0, 0);
            case 3 -> dir.setXattr(path, ControlAttributes.ROLLBACK, name, 0, 0);
            case 4 -> dir.setXattr("/", ControlAttributes.ROLLBACK, name, 0, 0);
            case 5 -> dir.setXattr(path, ControlAttributes.CLONE, name, 0, 0);
            case 6 -> dir.deleteSnapshot("/.snap/" + name);
            case 7 -> dir.unlink(path);
            case 8 -> dir.rename(path, "/" + name);
            case 9 -> {
                long fh = dir.open(path, Fixture.O_RDWR);
                try {
                    byte[] b = new byte[512 * (1 + rnd.nextInt(8))];
                    rnd.nextBytes(b);
                    int at = 512 * rnd.nextInt(SIZE / 512 - 8);
                    dir.write(fh, at, b, NativeMemory.BYTE_ARRAY_BASE, b.length);
                    byte[] m = disks.get(path.substring(1));
                    System.arraycopy(b, 0, m, at, b.length);
                } finally {
                    dir.release(fh);
                }
            }
            case 10 -> dir.setXattr(path, ControlAttributes.PREFIX + name, name, 0, 0);
            default -> {
                dir.xattr(path, ControlAttributes.LAYERS);
                dir.xattrNames(path);
                dir.lookup(path);
            }
        }
    }

    private void newDisk(String name, byte[] bytes) {
        disks.put(name, bytes);
        ids.put(name, nextId++);
    }

    /** The name under which snapshot {@code snap} lists the disk whose identity is {@code id}, else null. */
    private String takenAs(String snap, long id) {
        for (var e : snapIds.get(snap).entrySet()) {
            if (e.getValue() == id) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The name the disk whose identity is {@code id} has now, else null. */
    private String nameNow(long id) {
        for (var e : ids.entrySet()) {
            if (e.getValue() == id) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Is {@code path} a disk of the model: its name, else null. */
    private String disk(String path) {
        return path.length() > 1 && path.startsWith("/") && disks.containsKey(path.substring(1)) ? path.substring(1) : null;
    }

    /** The snapshot and disk a path {@code /.snap/S/D} names in the model, else null. */
    private String[] snapDisk(String path) {
        String prefix = "/.snap/";
        if (!path.startsWith(prefix)) {
            return null;
        }
        String[] parts = path.substring(prefix.length()).split("/", -1);
        if (parts.length != 2 || !snaps.containsKey(parts[0]) || !snaps.get(parts[0]).containsKey(parts[1])) {
            return null;
        }
        return parts;
    }

    private static String trimSlash(String name) {
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    private boolean expectedToSucceed(int op, String path, String name) {
        String d = disk(path);
        return switch (op) {
            case 0, 2 -> valid(name) && !snaps.containsKey(name);
            // a snapshot lists one disk per name, and each disk once (under the name it had then)
            case 1 -> valid(name) && d != null
                    && !(snaps.containsKey(name) && (snaps.get(name).containsKey(d) || takenAs(name, ids.get(d)) != null));
            case 3 -> d != null && snaps.containsKey(name) && takenAs(name, ids.get(d)) != null;
            case 4 -> snaps.containsKey(name) && ids.values().containsAll(snapIds.get(name).values());
            case 5 -> valid(name) && !disks.containsKey(name) && (d != null || snapDisk(path) != null);
            case 6 -> snaps.containsKey(trimSlash(name)) && valid(trimSlash(name)); // FsPath takes "/.snap/S/" as S
            case 7 -> d != null || snapDisk(path) != null;
            case 8 -> d != null && valid(name);
            case 9 -> d != null;
            case 10 -> false; // only snapshot, rollback, clone can be set
            default -> d != null || snapDisk(path) != null;
        };
    }

    private void applyToModel(int op, String path, String name) {
        String d = disk(path);
        switch (op) {
            case 0, 2 -> {
                Map<String, byte[]> s = new TreeMap<>();
                disks.forEach((k, v) -> s.put(k, v.clone()));
                snaps.put(name, s);
                snapIds.put(name, new TreeMap<>(ids));
            }
            case 1 -> {
                snaps.computeIfAbsent(name, k -> new TreeMap<>()).put(d, disks.get(d).clone());
                snapIds.computeIfAbsent(name, k -> new TreeMap<>()).put(d, ids.get(d));
            }
            case 3 -> disks.put(d, snaps.get(name).get(takenAs(name, ids.get(d))).clone());
            // each disk goes back to its own data, under the name it has now
            case 4 -> snapIds.get(name).forEach((k, id) -> disks.put(nameNow(id), snaps.get(name).get(k).clone()));
            case 5 -> {
                String[] sd = snapDisk(path);
                newDisk(name, (d != null ? disks.get(d) : snaps.get(sd[0]).get(sd[1])).clone());
            }
            case 6 -> {
                snaps.remove(trimSlash(name));
                snapIds.remove(trimSlash(name));
            }
            case 7 -> {
                if (d != null) {
                    disks.remove(d);
                    ids.remove(d);
                } else {
                    String[] sd = snapDisk(path);
                    snaps.get(sd[0]).remove(sd[1]);
                    snapIds.get(sd[0]).remove(sd[1]);
                }
            }
            case 8 -> {
                byte[] b = disks.remove(d);
                long id = ids.remove(d);
                disks.put(name, b);
                ids.put(name, id);
            }
            default -> { }
        }
    }

    // ------------------------------------------------------------------ comparisons

    private void compareNames() throws FsException {
        assertEquals(new TreeSet<>(disks.keySet()), new TreeSet<>(dir.names()), "disks");
        assertEquals(new ArrayList<>(snaps.keySet()), dir.snapshotNames(), "snapshots, oldest first");
    }

    private void compareBytes() throws Exception {
        for (var e : disks.entrySet()) {
            compare("/" + e.getKey(), e.getValue());
        }
        for (var s : snaps.entrySet()) {
            assertEquals(new ArrayList<>(s.getValue().keySet()), dir.list("/.snap/" + s.getKey()).stream().sorted().toList(),
                    "disks of snapshot " + s.getKey());
            for (var e : s.getValue().entrySet()) {
                compare("/.snap/" + s.getKey() + "/" + e.getKey(), e.getValue());
            }
        }
    }

    private void compare(String path, byte[] expected) throws Exception {
        long fh = dir.open(path, Fixture.O_RDONLY);
        try {
            assertEquals(expected.length, dir.file(fh).size(), "size of " + path);
            byte[] got = new byte[expected.length];
            dir.read(fh, 0, got, NativeMemory.BYTE_ARRAY_BASE, got.length);
            if (!Arrays.equals(expected, got)) {
                throw new AssertionError(path + " differs from the model at byte " + Arrays.mismatch(expected, got));
            }
        } finally {
            dir.release(fh);
        }
    }
}

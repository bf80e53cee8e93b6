package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.fs.ControlAttributes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.Errno;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * A seeded mutator against what {@link JnrFuseAdapter} decodes itself, called as libfuse calls
 * it (jnr Pointers of exactly the lengths given, structs in native memory): the {@code .snap}
 * prefix of mkdir and rmdir, attribute names, values and sizes of getxattr, listxattr, setxattr
 * (snapshot, rollback, clone, save, commit with malformed sizes, embedded and trailing NULs,
 * invalid UTF-8, overlong names, bad flags), removexattr, chmod and chown (type bits, -1 ids),
 * utimens (UTIME_NOW/OMIT, times past 64-bit nanoseconds), bad handles for the handle calls, and
 * the raw read, write and getxattr callbacks. (Jazzer is not served by the registries here.)
 *
 * <p>What must hold for every input: an int comes back (no exception escapes), either a length
 * or success, or a negative errno that ramdiskfs knows, never {@code EIO} (an exception nobody
 * expected); a refusal leaves every disk and snapshot as it was (size, mode, owner, mtime,
 * bytes); getxattr and listxattr write only within the size given and only what they return; a
 * snapshot made by attribute or mkdir has exactly the name the bytes spell (valid UTF-8, trimmed);
 * a mode set reads back as a regular file with those permission bits; a time set reads back as
 * given, or saturated at the end of what 64-bit nanoseconds hold. On a failure the message names
 * the seed and the last inputs: rerun with {@code -Dramdiskfs.fuzz.seed=SEED}.
 */
class HostileAdapterTest {
    private static final int INPUTS = Integer.getInteger("ramdiskfs.fuzz.inputs", 10_000) / 4;
    private static final int DISK = 64 << 10;
    /** Disks grown past this are cut back to {@link #DISK} between inputs. */
    private static final long CAP = 16 << 20;
    private static final long S_IFMT = 0170000;
    private static final long S_IFREG = 0100000;
    private static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L - 1;
    private static final Set<Integer> KNOWN = new HashSet<>();

    static {
        for (Errno e : Errno.values()) {
            if (e != Errno.EIO) {
                KNOWN.add(-e.code());
            }
        }
    }

    static long[] seeds() {
        Long fixed = Long.getLong("ramdiskfs.fuzz.seed");
        return fixed != null ? new long[] {fixed} : new long[] {3, 0xadab_7e25L, System.nanoTime()};
    }

    @TempDir
    Path scratch;
    private final Runtime runtime = Runtime.getSystemRuntime();
    private DiskDirectory dir;
    private JnrFuseAdapter adapter;
    private HostileValues values;
    private Random rnd;
    private long[] handles;
    private final Deque<String> recent = new ArrayDeque<>();
    private final Map<String, int[]> outcomes = new TreeMap<>();

    @BeforeEach
    void setUp() throws Exception {
        MemoryBudget budget = MemoryBudget.unlimited();
        dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, 512, budget), false), budget, false, () -> 1_700_000_000_000_000_000L);
        for (String d : List.of("a", "b")) {
            dir.add(d, LayeredDisk.of(RamLayer.create(DISK, 512, budget), false), 0, 0);
        }
        dir.releaseGrace(java.time.Duration.ofMillis(1)); // rollbacks of the disk held open: EBUSY at once
        adapter = new JnrFuseAdapter(dir, true, false, () -> new JnrFuseAdapter.Caller(0, 0));
        handles = new long[] {dir.open("/a", 2), dir.open("/b", 0)};
        byte[] content = new byte[DISK];
        new Random(5).nextBytes(content);
        dir.write(handles[0], 0, content, NativeMemory.BYTE_ARRAY_BASE, content.length);
        dir.setXattr("/a", ControlAttributes.SNAPSHOT, "s0", 0, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        dir.images().awaitIdle(); // saves the mutator started write into the temp dir
        adapter.closeCallbacks();
        dir.closeAll();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyInputIsAnsweredAndRefusalsChangeNothing(long seed) throws Exception {
        long start = System.nanoTime();
        rnd = new Random(seed);
        values = new HostileValues(rnd, scratch.toString());
        for (int i = 0; i < INPUTS; i++) {
            try {
                oneInput();
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ", input " + i + " (rerun with -Dramdiskfs.fuzz.seed=" + seed
                        + "); the last inputs:\n" + String.join("\n", recent) + "\n" + t, t);
            }
        }
        StringBuilder summary = new StringBuilder("seed " + seed + ", " + INPUTS + " inputs in " + (System.nanoTime() - start) / 1_000_000
                + " ms (done / refused):");
        outcomes.forEach((op, o) -> summary.append(' ').append(op).append(' ').append(o[0]).append('/').append(o[1]));
        System.out.println(summary);
        int done = outcomes.values().stream().mapToInt(o -> o[0]).sum();
        assertTrue(done > INPUTS / 10 && done < INPUTS * 9 / 10, "the mix is lopsided: " + summary);
    }

    // ------------------------------------------------------------------ one input

    /**
     * Inputs that found bugs, or nearly: always run, each a refusal that must change nothing.
     * A save to a path with a NUL in it was EIO (an InvalidPathException nobody caught).
     */
    @org.junit.jupiter.api.Test
    void knownHostileAttributeValuesAreRefusedWithTheirErrno() throws Exception {
        Object[][] cases = {
            {"/a", "user.ramdiskfs.save", scratch + "/img\0.raw", Errno.EINVAL},
            {"/a", "user.ramdiskfs.snapshot", "s\u00e9", null}, // valid UTF-8: made (below: the same bytes, broken)
            {"/a", "user.ramdiskfs.clone", "c\0d", Errno.EINVAL},
            {"/a", "user.ramdiskfs.rollback", "s0\0", Errno.EBUSY}, // trimmed: s0, and /a is held open for writing
        };
        for (Object[] c : cases) {
            MountState before = MountState.of(dir);
            byte[] v = ((String) c[2]).getBytes(StandardCharsets.UTF_8);
            int r = adapter.setxattr((String) c[0], (String) c[1], memory(v), v.length, 0);
            String what = c[1] + "=" + show(v) + " on " + c[0];
            if (c[3] == null) {
                assertEquals(0, r, what);
                continue;
            }
            assertEquals(-((Errno) c[3]).code(), r, what);
            assertEquals(null, MountState.of(dir).differenceFrom(before), what + " changed the mount");
        }
        byte[] latin1 = {'s', (byte) 0xe9};
        assertEquals(-Errno.EINVAL.code(), adapter.setxattr("/a", "user.ramdiskfs.snapshot", memory(latin1), 2, 0),
                "bytes that are not UTF-8 would name a snapshot with a replacement character");
        assertEquals(-Errno.EINVAL.code(), adapter.setxattr("/a", "user.ramdiskfs.snapshot", memory(HostileValues.utf8("x")), 1, 4),
                "flags other than XATTR_CREATE and XATTR_REPLACE");
        assertEquals(-Errno.ERANGE.code(), adapter.setxattr("/a", "user.ramdiskfs.snapshot", memory(new byte[4097]), 4097, 0));
        assertEquals(-Errno.EOPNOTSUPP.code(), adapter.setxattr("/a", "user.other", memory(latin1), 2, 0),
                "an attribute that is not ours is not supported, whatever its value");
    }

    private void oneInput() throws Exception {
        // Every disk and snapshot file is hashed before and after every input: keep them few and
        // small (a truncate may grow a disk to 1 PiB, whose holes take long to walk).
        for (String name : dir.names()) {
            if (dir.lookup("/" + name).size() > CAP) {
                dir.truncate("/" + name, DISK);
            }
        }
        List<String> all = dir.snapshotNames();
        for (int i = 0; i < all.size(); i++) {
            String snap = "/.snap/" + all.get(i);
            boolean big = false;
            for (String d : dir.list(snap)) {
                big |= dir.lookup(snap + "/" + d).size() > CAP;
            }
            if (big || i + 6 < all.size()) {
                dir.deleteSnapshot(snap);
            }
        }
        MountState before = MountState.of(dir);
        List<String> disks = new ArrayList<>(dir.names());
        List<String> snaps = dir.snapshotNames();
        String path = values.path(disks, snaps);
        int op = rnd.nextInt(20);
        String opName;
        int r;
        boolean changes = true;
        switch (op) {
            case 0, 1, 2 -> {
                String name = values.attribute();
                byte[] value = values.value(name);
                long size = values.size(value.length);
                int flags = values.xattrFlags();
                opName = "setxattr";
                note("setxattr " + show(path) + " " + show(name) + " value " + show(value) + " size " + size + " flags " + flags);
                // libfuse hands over a buffer of exactly size bytes; a size past any buffer is refused unread.
                Pointer p = size >= 0 && size <= 1 << 17 ? memory(Arrays.copyOf(value, (int) size)) : memory(value);
                r = adapter.setxattr(path, name, p, size, flags);
                if (r == 0 && name.equals(ControlAttributes.SNAPSHOT)) {
                    checkSnapshotTaken(snaps, Arrays.copyOf(value, (int) size), path);
                }
            }
            case 3, 4 -> {
                opName = "getxattr";
                r = getxattr(path, values.attribute(), rnd.nextBoolean());
                changes = false;
            }
            case 5 -> {
                opName = "listxattr";
                r = listxattr(path);
                changes = false;
            }
            case 6 -> {
                opName = "removexattr";
                String name = values.attribute();
                note("removexattr " + show(path) + " " + show(name));
                r = adapter.removexattr(path, name);
            }
            case 7, 8 -> {
                opName = "mkdir";
                String p = rnd.nextInt(3) == 0 ? path : "/.snap/" + HostileValues.text(values.name());
                note("mkdir " + show(p));
                r = adapter.mkdir(p, values.mode());
                if (r == 0) {
                    assertTrue(p.startsWith("/.snap/"), "mkdir outside .snap succeeded: " + show(p));
                    checkNewSnapshot(snaps, p.substring("/.snap/".length()).getBytes(StandardCharsets.UTF_8), false, null);
                }
            }
            case 9 -> {
                opName = "rmdir";
                note("rmdir " + show(path));
                r = adapter.rmdir(path);
            }
            case 10 -> {
                opName = "chmod";
                long mode = values.mode();
                note("chmod " + show(path) + " " + Long.toOctalString(mode));
                r = adapter.chmod(path, mode);
                if (r == 0) {
                    FileStat st = stat(path);
                    assertEquals(S_IFREG, st.st_mode.longValue() & S_IFMT, "chmod " + Long.toOctalString(mode) + " made " + path
                            + " something else than a regular file: mode " + Long.toOctalString(st.st_mode.longValue()));
                    assertEquals(mode & 07777, st.st_mode.longValue() & 07777);
                }
            }
            case 11 -> {
                opName = "chown";
                long uid = values.id();
                long gid = values.id();
                note("chown " + show(path) + " " + uid + ":" + gid);
                r = adapter.chown(path, uid, gid);
            }
            case 12 -> {
                opName = "utimens";
                r = utimens(path);
            }
            case 13 -> {
                opName = "handles";
                r = handleCall();
            }
            case 14 -> {
                opName = "open/create";
                FuseFileInfo fi = FuseFileInfo.of(Memory.allocateDirect(runtime, 256, true));
                int flags = values.openFlags();
                fi.flags.set(flags);
                boolean create = rnd.nextBoolean();
                note((create ? "create " : "open ") + show(path) + " flags " + Integer.toHexString(flags));
                r = create ? adapter.create(path, values.mode() & 07777, fi) : adapter.open(path, fi);
                if (r == 0) {
                    adapter.release(path, fi);
                }
            }
            case 15 -> {
                opName = "rename/unlink";
                String to = values.path(disks, snaps);
                boolean unlink = rnd.nextBoolean();
                // The two disks the handles hold stay: the mutator needs something to change.
                if (unlink && (path.equals("/a") || path.equals("/b"))) {
                    path = "/.snap/" + (snaps.isEmpty() ? "s0" : values.pick(snaps)) + "/b";
                }
                note((unlink ? "unlink " : "rename ") + show(path) + (unlink ? "" : " " + show(to)));
                r = unlink ? adapter.unlink(path) : path.equals("/a") || path.equals("/b") || to.equals("/a") || to.equals("/b")
                        ? adapter.symlink(path, to) : adapter.rename(path, to);
            }
            case 16 -> {
                opName = "raw read/write";
                r = rawData();
            }
            default -> {
                opName = "lookups";
                r = lookup(path);
                changes = false;
            }
        }
        record(opName, r);
        MountState after = MountState.of(dir);
        String diff = after.differenceFrom(before);
        if (r < 0 || !changes) {
            assertEquals(null, diff, "a " + (r < 0 ? "refused" : "read-only") + " request changed the mount (answer " + r + ")");
        }
    }

    private void record(String op, int r) {
        assertTrue(r >= 0 || KNOWN.contains(r), "answer " + r + (r == -Errno.EIO.code() ? " (EIO: an unexpected exception)" : "")
                + " is not 0, a length or an errno ramdiskfs gives");
        outcomes.computeIfAbsent(op, k -> new int[2])[r >= 0 ? 0 : 1]++;
    }

    /**
     * A snapshot taken by attribute on {@code path}: on the root a new one; on a disk, a new one
     * or the disk added to the snapshot of that name that existed before (the seeds 6288946835329,
     * 6427961584539, 6383752951705 and 621837889493 met that: the model expected a new name).
     */
    private void checkSnapshotTaken(List<String> before, byte[] bytes, String path) throws Exception {
        checkNewSnapshot(before, bytes, true, DiskDirectory.isRoot(path) ? null : dir.lookup(path).name());
    }

    /**
     * A snapshot made from {@code bytes}: exactly one new one, named by the bytes as valid UTF-8
     * (trimmed when they are an attribute's value; a directory's name is taken as it is), unless
     * {@code disk} was added to a snapshot of that name that existed: then it lists that disk.
     */
    private void checkNewSnapshot(List<String> before, byte[] bytes, boolean trimmed, String disk) throws Exception {
        String expected;
        try {
            expected = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            expected = trimmed ? expected.trim() : expected;
        } catch (CharacterCodingException e) {
            throw new AssertionError("a snapshot was made from bytes that are not UTF-8: " + show(bytes));
        }
        List<String> now = new ArrayList<>(dir.snapshotNames());
        if (disk != null && before.contains(expected)) {
            assertEquals(before, now, "adding disk " + disk + " to snapshot " + expected + " changed the list of snapshots");
            assertTrue(dir.list("/.snap/" + expected).contains(disk), "snapshot " + expected + " does not list disk " + disk
                    + " it was just added to: " + dir.list("/.snap/" + expected));
            return;
        }
        now.removeAll(before);
        assertEquals(List.of(expected), now, "the new snapshot is not named as the bytes " + show(bytes) + " spell");
    }

    // ------------------------------------------------------------------ attributes

    private int getxattr(String path, String name, boolean raw) throws Exception {
        // The raw callback gets C strings: what it sees of a path or name ends at the first NUL.
        String seenPath = raw ? cStringView(path) : path;
        String seenName = raw ? cStringView(name) : name;
        int exact = 64;
        try {
            exact = dir.xattr(seenPath, seenName).length;
        } catch (Exception e) {
            // no such attribute or path: any size will do
        }
        long size = values.size(exact);
        int room = (int) Math.max(0, Math.min(size, 1 << 16));
        note((raw ? "raw " : "") + "getxattr " + show(path) + " " + show(name) + " size " + size);
        Pointer buf = guarded(room);
        int r;
        if (raw) {
            Pointer p = memory(cString(path));
            Pointer n = memory(cString(name));
            r = adapter.rawCallbacks().getxattr(p.address(), n.address(), buf.address(), size);
        } else {
            r = adapter.getxattr(path, name, buf, size);
        }
        checkCopyOut(buf, room, size, r, () -> dir.xattr(seenPath, seenName));
        return r;
    }

    private static String cStringView(String s) {
        int nul = s.indexOf('\0');
        return nul < 0 ? s : s.substring(0, nul);
    }

    private int listxattr(String path) throws Exception {
        int exact = 256;
        try {
            exact = String.join("\0", dir.xattrNames(path)).length() + 1;
        } catch (Exception e) {
            // no such path
        }
        long size = values.size(exact);
        int room = (int) Math.max(0, Math.min(size, 1 << 16));
        note("listxattr " + show(path) + " size " + size);
        Pointer buf = guarded(room);
        int r = adapter.listxattr(path, buf, size);
        checkCopyOut(buf, room, size, r, () -> {
            StringBuilder sb = new StringBuilder();
            for (String n : dir.xattrNames(path)) {
                sb.append(n).append('\0');
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        });
        return r;
    }

    @FunctionalInterface
    private interface Value {
        byte[] get() throws Exception;
    }

    private static final byte GUARD = (byte) 0xA5;

    /** {@code room} bytes for the callee, then 64 guard bytes, all set to {@link #GUARD}. */
    private Pointer guarded(int room) {
        Pointer p = Memory.allocateDirect(runtime, room + 64, false);
        byte[] g = new byte[room + 64];
        Arrays.fill(g, GUARD);
        p.put(0, g, 0, g.length);
        return p;
    }

    private void checkCopyOut(Pointer buf, int room, long size, int r, Value value) throws Exception {
        byte[] after = new byte[room + 64];
        buf.get(0, after, 0, after.length);
        int written = 0;
        if (r > 0 && size > 0) {
            assertTrue(r <= size, "answered " + r + " bytes for a buffer of " + size);
            byte[] want = value.get();
            assertEquals(HostileValues.text(want), HostileValues.text(Arrays.copyOf(after, r)), "the value copied out");
            written = r;
        }
        for (int i = written; i < after.length; i++) {
            if (after[i] != GUARD) {
                throw new AssertionError("byte " + i + " of the buffer was written (size " + size + ", answer " + r + ")");
            }
        }
    }

    // ------------------------------------------------------------------ times, handles, data

    private int utimens(String path) {
        long[] a = values.time();
        long[] m = values.time();
        note("utimens " + show(path) + " atime " + a[0] + "." + a[1] + " mtime " + m[0] + "." + m[1]);
        Timespec[] ts = {timespec(a), timespec(m)};
        int r = adapter.utimens(path, ts);
        boolean validNanos = m[1] >= 0 && m[1] < 1_000_000_000L;
        if (r == 0 && validNanos && !DiskDirectory.isRoot(path)) {
            FileStat st = stat(path);
            long sec = st.st_mtim.tv_sec.get();
            long nsec = st.st_mtim.tv_nsec.longValue();
            if (m[0] >= -MAX_SECONDS && m[0] <= MAX_SECONDS) {
                assertEquals(m[0] + "." + m[1], sec + "." + nsec, "the mtime read back");
            } else {
                assertTrue(Long.signum(sec) == Long.signum(m[0]) && (sec >= MAX_SECONDS || sec <= -MAX_SECONDS),
                        "an mtime of " + m[0] + " s reads back as " + sec + " s: wrapped around instead of saturated");
            }
        }
        return r;
    }

    private Timespec timespec(long[] t) {
        Timespec ts = Timespec.of(Memory.allocateDirect(runtime, 16, true));
        ts.tv_sec.set(t[0]);
        ts.tv_nsec.set(t[1]);
        return ts;
    }

    private int handleCall() {
        FuseFileInfo fi = FuseFileInfo.of(Memory.allocateDirect(runtime, 256, true));
        long fh = values.handle(handles);
        fi.fh.set(fh);
        String path = fh == handles[0] ? "/a" : "/b";
        return switch (rnd.nextInt(5)) {
            case 0 -> {
                note("fgetattr fh " + fh);
                yield adapter.fgetattr(path, FileStat.of(Memory.allocateDirect(runtime, 256, true)), fi);
            }
            case 1 -> {
                note("fsync fh " + fh);
                yield adapter.fsync(path, rnd.nextInt(2), fi);
            }
            case 2 -> {
                long size = rnd.nextBoolean() ? values.offset() : DISK;
                note("ftruncate fh " + fh + " to " + size);
                yield adapter.ftruncate(path, size, fi);
            }
            case 3 -> {
                int mode = rnd.nextBoolean() ? rnd.nextInt() : values.pick(List.of(0, 1, 3, 0x11, 0x10, 8));
                long off = values.offset();
                long len = values.offset();
                note("fallocate fh " + fh + " mode " + Integer.toHexString(mode) + " " + off + "+" + len);
                yield adapter.fallocate(path, mode, off, len, fi);
            }
            default -> {
                if (fh == handles[0] || fh == handles[1]) {
                    note("truncate " + path + " to " + DISK + " (the handles' disks)");
                    yield adapter.truncate(path, DISK);
                }
                note("release fh " + fh);
                yield adapter.release(path, fi);
            }
        };
    }

    private int rawData() {
        FuseFileInfo fi = FuseFileInfo.of(Memory.allocateDirect(runtime, 256, true));
        long fh = values.handle(handles);
        fi.fh.set(fh);
        int room = 128 << 10;
        Pointer buf = Memory.allocateDirect(runtime, room, true);
        long size = rnd.nextInt(4) == 0 ? values.pick(List.of(0L, -1L, 1L << 31, Long.MAX_VALUE)) : rnd.nextInt(room + 1);
        long offset = values.offset();
        boolean write = rnd.nextBoolean();
        Pointer path = memory(cString(fh == handles[0] ? "/a" : "/b"));
        // The raw callbacks trust size as libfuse's own buffer length: only sizes within the buffer are real inputs.
        long given = size >= 0 && size <= room ? size : rnd.nextInt(room);
        note((write ? "raw write" : "raw read") + " fh " + fh + " " + given + " bytes at " + offset);
        long address = jnr.ffi.Struct.getMemory(fi).address();
        return write ? adapter.rawCallbacks().write(path.address(), buf.address(), given, offset, address)
                : adapter.rawCallbacks().read(path.address(), buf.address(), given, offset, address);
    }

    private int lookup(String path) {
        switch (rnd.nextInt(6)) {
            case 0 -> {
                note("getattr " + show(path));
                return adapter.getattr(path, FileStat.of(Memory.allocateDirect(runtime, 256, true)));
            }
            case 1 -> {
                note("readdir " + show(path));
                int[] entries = {0};
                return adapter.readdir(path, null, (buf, name, st, off) -> ++entries[0] > 1000 ? 1 : 0, 0,
                        FuseFileInfo.of(Memory.allocateDirect(runtime, 256, true)));
            }
            case 2 -> {
                note("statfs " + show(path));
                return adapter.statfs(path, Statvfs.of(Memory.allocateDirect(runtime, 256, true)));
            }
            case 3 -> {
                note("opendir " + show(path));
                return adapter.opendir(path, FuseFileInfo.of(Memory.allocateDirect(runtime, 256, true)));
            }
            case 4 -> {
                int mask = rnd.nextInt();
                note("access " + show(path) + " " + mask);
                return adapter.access(path, mask);
            }
            default -> {
                String from = values.path(new ArrayList<>(dir.names()), dir.snapshotNames());
                note("symlink/link/mknod " + show(from) + " " + show(path));
                return switch (rnd.nextInt(3)) {
                    case 0 -> adapter.symlink(from, path);
                    case 1 -> adapter.link(from, path);
                    default -> adapter.mknod(path, values.mode(), rnd.nextLong());
                };
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private FileStat stat(String path) {
        FileStat st = FileStat.of(Memory.allocateDirect(runtime, 256, true));
        assertEquals(0, adapter.getattr(path, st), "getattr " + path);
        return st;
    }

    private Pointer memory(byte[] b) {
        Pointer p = Memory.allocateDirect(runtime, Math.max(1, b.length), true);
        p.put(0, b, 0, b.length);
        return p;
    }

    private static byte[] cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }

    private void note(String s) {
        recent.addLast(s);
        if (recent.size() > 12) {
            recent.removeFirst();
        }
    }

    private static String show(String s) {
        return show(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String show(byte[] b) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < Math.min(b.length, 48); i++) {
            int c = b[i] & 0xff;
            sb.append(c >= 0x20 && c < 0x7f && c != '\\' ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.append(b.length > 48 ? "...' (" + b.length + " bytes)" : "'").toString();
    }
}

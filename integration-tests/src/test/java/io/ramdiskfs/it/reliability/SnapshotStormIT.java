package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A snapshot storm: fio writes three disks with crc32c in every block while one thread, in a
 * loop, takes group snapshots ({@code mkdir .snap/N}) and per-disk ones ({@code setfattr}), reads
 * snapshot files whole, rolls back a fourth disk that nobody holds open (and checks it then reads
 * exactly as the snapshot did, against a model), tries to roll back the fio disks (EBUSY: they
 * are open for writing), clones snapshots ({@code setfattr clone}, {@code cp}) and checks the
 * clones, and deletes snapshots and clones.
 *
 * <p>Then: fio verified as it wrote and verifies again in a separate pass (0 mismatches), as does
 * a clone of the last snapshot; every snapshot file still left reads whole; and once every
 * snapshot and clone is deleted, {@code df} counts exactly the live disks' data and every chain
 * is a single RAM layer again (the frozen layers were merged or freed).
 */
@RequiresFuse(root = true, tools = {"fio", "setfattr", "getfattr", "cmp", "cp", "dd", "df"})
class SnapshotStormIT {
    static final long DISK = 64 * MiB;
    static final long SPARE = 8 * MiB;
    static final List<String> FIO_DISKS = List.of("d0", "d1", "d2");
    static final Duration FIO_TIMEOUT = Duration.ofSeconds(150);
    static final Duration STORM = Duration.ofSeconds(20);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private Path mp;
    private Path scratch;
    /** The spare disk's content at each snapshot that holds it (a file outside the mount). */
    private final Map<String, Path> spareAt = new LinkedHashMap<>();
    /** Every snapshot, with the disks it holds. */
    private final Map<String, List<String>> snapshots = new LinkedHashMap<>();
    private Path spareNow;
    private int ops;
    private int rollbacks;
    private int refusedRollbacks;
    private int clones;
    /** The fio round being written, for its seed. */
    private int round;

    @Test
    void fioVerifiesWhileSnapshotsAreTakenReadRolledBackClonedAndDeletedAndMemoryComesBack() throws Exception {
        List<DiskDefinition> defs = new ArrayList<>();
        FIO_DISKS.forEach(d -> defs.add(DiskDefinition.ram(d, DISK)));
        defs.add(DiskDefinition.ram("spare", SPARE));
        RamDiskFs fs = disks.mount(defs.toArray(DiskDefinition[]::new));
        mp = fs.mountPoint();
        scratch = disks.newDir("model");
        spareNow = Data.random(scratch.resolve("spare-0"), SPARE, 11);
        Tools.dd("if=" + spareNow, "of=" + mp.resolve("spare"), "bs=1M", "conv=notrunc", "oflag=direct");

        // Our own writable handle on d0: rollback must be EBUSY whatever fio is doing at that moment.
        Random rnd = new Random(20261201);
        long start = System.nanoTime();
        try (FileChannel held = FileChannel.open(mp.resolve("d0"), StandardOpenOption.WRITE)) {
            // Rounds of fio (each writes every block once with a new seed, verifying as it goes,
            // then again in a separate pass) until the storm has lasted long enough.
            for (int r = 0; r < 3 || System.nanoTime() - start < STORM.toNanos(); r++) {
                round = r; // the seed of this round's fio runs, and of the last one's after the loop
                List<Background> writers = new ArrayList<>();
                try {
                    for (String d : FIO_DISKS) {
                        writers.add(Background.start(disks.testDir(), "fio-" + d + "-" + round, fio(d, d, "--do_verify=1")));
                    }
                    while (writers.stream().anyMatch(Background::isAlive)) {
                        stormStep(rnd);
                    }
                    for (Background w : writers) {
                        assertVerified(w.await(FIO_TIMEOUT));
                    }
                } finally {
                    writers.forEach(Background::close);
                }
                for (String d : FIO_DISKS) {
                    assertVerified(Cmd.run(FIO_TIMEOUT, fio(d, d, "--verify_only=1")));
                }
            }
        }
        assertTrue(ops >= 30 && rollbacks >= 2 && refusedRollbacks >= 2 && clones >= 2,
                "the storm was too short to mean much: " + ops + " operations, " + rollbacks + " rollbacks, " + refusedRollbacks
                        + " refused, " + clones + " clones while fio ran");
        System.out.println("snapshot storm: " + (round + 1) + " fio rounds, " + ops + " operations, " + rollbacks + " rollbacks, "
                + refusedRollbacks + " refused rollbacks, " + clones + " clones, " + snapshots.size() + " snapshots left");

        // The last instant, through a clone (fio opens even a file it only verifies for writing).
        Cmd.ok("mkdir", mp.resolve(".snap/last").toString());
        snapshots.put("last", List.of("d0", "d1", "d2", "spare"));
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.clone", "-v", "d1-last", mp.resolve(".snap/last/d1").toString());
        assertVerified(Cmd.run(FIO_TIMEOUT, fio("d1-last", "d1", "--verify_only=1")));
        Cmd.ok("rm", mp.resolve("d1-last").toString());
        for (var s : snapshots.entrySet()) {
            for (String d : s.getValue()) {
                Cmd.ok("dd", "if=" + mp.resolve(".snap/" + s.getKey() + "/" + d), "of=/dev/null", "bs=1M", "iflag=direct");
            }
        }
        Tools.cmp(spareNow, mp.resolve("spare"));

        for (String s : new ArrayList<>(snapshots.keySet())) {
            Cmd.ok("rmdir", mp.resolve(".snap/" + s).toString());
        }
        assertEquals("", Cmd.ok("ls", "-A", mp.resolve(".snap").toString()).out());
        long live = 0;
        for (String d : List.of("d0", "d1", "d2", "spare")) {
            assertEquals("ram", Cmd.ok("getfattr", "-n", "user.ramdiskfs.layers", "--only-values", "--absolute-names",
                    mp.resolve(d).toString()).out(), d + ": the frozen layers were neither merged nor freed");
            long committed = Tools.committedBytes(mp.resolve(d));
            assertTrue(committed <= Files.size(mp.resolve(d)), d + " holds " + committed + " bytes");
            live += committed;
        }
        assertEquals(live, Tools.df(mp)[1], "df counts more than the live disks' data once every snapshot and clone is gone");
        assertEquals(3 * DISK + SPARE, live, "fio wrote every block of its disks, the spare is full");
    }

    /** fio over one disk: the same seed for the writing run and the verify-only run. */
    /** fio over {@code file} (a disk or a clone of one), with the seed {@code disk} was written with. */
    private List<String> fio(String file, String disk, String mode) {
        return List.of("fio", "--name=storm", "--filename=" + mp.resolve(file), "--size=" + DISK, "--rw=randwrite",
                "--bsrange=4k-64k", "--direct=1", "--ioengine=psync", "--verify=crc32c", "--verify_fatal=1",
                "--verify_state_save=0", "--randseed=" + ((disk.hashCode() & 0xffff) + 1000 * round), mode);
    }

    private static void assertVerified(Cmd.Result r) {
        assertEquals(0, r.exitCode(), "fio failed\n" + r.describe());
        assertTrue(!r.stdout().contains("verify:") && !r.stderr().contains("verify:"), "fio reported a mismatch\n" + r.describe());
    }

    // ------------------------------------------------------------------ the storm

    private void stormStep(Random rnd) throws IOException {
        ops++;
        String name = "s" + ops;
        switch (rnd.nextInt(9)) {
            case 0, 1 -> { // a group snapshot: every disk at one instant
                Cmd.ok("mkdir", mp.resolve(".snap/" + name).toString());
                snapshots.put(name, new ArrayList<>(List.of("d0", "d1", "d2", "spare")));
                spareAt.put(name, spareNow);
            }
            case 2 -> { // one disk
                String d = rnd.nextBoolean() ? "spare" : FIO_DISKS.get(rnd.nextInt(3));
                Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", name, mp.resolve(d).toString());
                snapshots.put(name, new ArrayList<>(List.of(d)));
                if (d.equals("spare")) {
                    spareAt.put(name, spareNow);
                }
            }
            case 3 -> { // read a snapshot file whole; the spare's against the model
                String s = any(rnd, snapshots.keySet());
                if (s != null && !snapshots.get(s).isEmpty()) {
                    String d = any(rnd, snapshots.get(s));
                    Path f = mp.resolve(".snap/" + s + "/" + d);
                    if (d.equals("spare")) {
                        Tools.cmp(spareAt.get(s), f);
                    } else {
                        Cmd.ok("dd", "if=" + f, "of=/dev/null", "bs=1M", "iflag=direct");
                    }
                }
            }
            case 4 -> { // change the spare, then roll it back to a snapshot that holds it
                byte[] b = Data.randomBytes(64 * 1024, ops);
                long at = rnd.nextInt((int) (SPARE / 4096) - 16) * 4096L;
                Path next = Data.copy(spareNow, scratch.resolve("spare-" + ops));
                Data.writeAt(next, at, b);
                Data.writeAt(mp.resolve("spare"), at, b);
                spareNow = next;
                String s = any(rnd, spareAt.keySet());
                if (s != null) {
                    Cmd.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", s, mp.resolve("spare").toString());
                    spareNow = spareAt.get(s);
                    Tools.cmp(spareNow, mp.resolve("spare"));
                    rollbacks++;
                }
                forgetUnusedModels();
            }
            case 5 -> { // a fio disk is open for writing: refused, nothing changed
                String s = any(rnd, snapshots.keySet());
                if (s != null && snapshots.get(s).contains("d0")) {
                    Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", s, mp.resolve("d0").toString())
                            .assertFailsWith("Device or resource busy");
                    Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", s, mp.toString())
                            .assertFailsWith("Device or resource busy");
                    refusedRollbacks++;
                }
            }
            case 6 -> { // clone a snapshot, check it, delete it
                String s = any(rnd, snapshots.keySet());
                if (s != null && !snapshots.get(s).isEmpty()) {
                    String d = any(rnd, snapshots.get(s));
                    Path src = mp.resolve(".snap/" + s + "/" + d);
                    Path clone = mp.resolve("c" + ops);
                    if (rnd.nextBoolean()) {
                        Cmd.ok("setfattr", "-n", "user.ramdiskfs.clone", "-v", clone.getFileName().toString(), src.toString());
                    } else {
                        Cmd.ok("cp", src.toString(), clone.toString());
                    }
                    Tools.cmp(src, clone);
                    Cmd.ok("rm", clone.toString());
                    clones++;
                }
            }
            default -> { // delete: a whole snapshot, or one disk of one
                if (snapshots.size() > 5) {
                    String s = any(rnd, snapshots.keySet());
                    List<String> held = snapshots.get(s);
                    if (held.size() > 1 && rnd.nextBoolean()) {
                        String d = held.remove(rnd.nextInt(held.size()));
                        Cmd.ok("rm", mp.resolve(".snap/" + s + "/" + d).toString());
                        if (d.equals("spare")) {
                            spareAt.remove(s);
                        }
                    } else {
                        Cmd.ok("rmdir", mp.resolve(".snap/" + s).toString());
                        snapshots.remove(s);
                        spareAt.remove(s);
                    }
                    forgetUnusedModels();
                }
            }
        }
    }

    /** Deletes the spare's models that neither the spare nor a snapshot holds any more (8 MiB each). */
    private void forgetUnusedModels() throws IOException {
        try (var files = Files.list(scratch)) {
            for (Path f : files.toList()) {
                if (!f.equals(spareNow) && !spareAt.containsValue(f)) {
                    Files.delete(f);
                }
            }
        }
    }

    private static <T> T any(Random rnd, java.util.Collection<T> from) {
        if (from.isEmpty()) {
            return null;
        }
        int i = rnd.nextInt(from.size());
        for (T t : from) {
            if (i-- == 0) {
                return t;
            }
        }
        throw new IllegalStateException();
    }
}

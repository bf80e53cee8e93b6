package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random operations on several disks, interleaving byte reads, writes, unmaps and resizes
 * with snapshots (one disk and groups), rollbacks, deletes of snapshots and disks, and clones of
 * disks and snapshots. Each disk and each snapshot has a {@code byte[]} model; every read is
 * compared with its model, and every disk and snapshot in full every few hundred operations and at
 * the end. Then everything is closed and the budget must be back at zero. A failure names the seed
 * and the operation; rerun one seed with {@code -Dsnapshots.seed=N}.
 */
class SnapshotModelTest {
    static final int OPS = 4000;
    static final int MAX_SIZE = 1 << 20;
    static final int SECTOR = 512;
    private static int sharedCopies;

    @TempDir
    Path dir;

    static LongStream seeds() {
        String fixed = System.getProperty("snapshots.seed");
        return fixed != null ? LongStream.of(Long.parseLong(fixed)) : LongStream.of(1, 2, 3, 4, 5, 6, 0xc0ffeeL);
    }

    /** A disk or snapshot under test and the bytes it should hold. */
    private static final class Modeled {
        final String name;
        final LayeredDisk disk;
        byte[] model;

        Modeled(String name, LayeredDisk disk, byte[] model) {
            this.name = name;
            this.disk = disk;
            this.model = model;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void chainsMatchTheirModels(long seed) throws Exception {
        Random rnd = new Random(seed);
        sharedCopies = 0;
        MemoryBudget budget = new MemoryBudget(64L << 20);
        List<Modeled> disks = new ArrayList<>();
        List<Modeled> snapshots = new ArrayList<>();
        int names = 0;
        boolean withImage = rnd.nextBoolean();
        byte[] image = new byte[256 * 1024];
        rnd.nextBytes(image);
        Arrays.fill(image, 64 * 1024, 128 * 1024, (byte) 0);
        for (int i = 0; i < 3; i++) {
            LayeredDisk d;
            byte[] m;
            if (withImage && i == 0) {
                Path p = TestDisks.randomImage(dir, "base.img", image, 0);
                d = LayeredDisk.create(false, List.of(LayerConfiguration.of(RamLayer.over(budget)),
                        LayerConfiguration.of(io.ramdiskfs.disk.image.FileLayer.open(p, SECTOR))));
                m = java.nio.file.Files.readAllBytes(p);
            } else {
                int size = SECTOR * (1 + rnd.nextInt(MAX_SIZE / SECTOR));
                d = LayeredDisk.of(RamLayer.create(size, SECTOR, budget), false);
                m = new byte[size];
            }
            disks.add(new Modeled("d" + names++, d, m));
        }
        String op = "";
        try {
            for (int n = 0; n < OPS; n++) {
                int r = rnd.nextInt(100);
                if (r < 30) {
                    Modeled d = pick(rnd, disks);
                    op = "write " + d.name;
                    write(rnd, d);
                } else if (r < 45) {
                    Modeled d = pick(rnd, rnd.nextInt(4) == 0 && !snapshots.isEmpty() ? snapshots : disks);
                    op = "read " + d.name;
                    readAndCheck(rnd, d, op, seed);
                } else if (r < 52) {
                    Modeled d = pick(rnd, disks);
                    op = "unmap " + d.name;
                    unmap(rnd, d);
                } else if (r < 56) {
                    Modeled d = pick(rnd, disks);
                    int size = SECTOR * rnd.nextInt(MAX_SIZE / SECTOR + 1);
                    op = "resize " + d.name + " to " + size;
                    d.disk.bytes().resize(size);
                    d.model = Arrays.copyOf(d.model, size);
                } else if (r < 66) {
                    Modeled d = pick(rnd, disks);
                    op = "snapshot " + d.name;
                    snapshots.add(new Modeled(d.name + "@" + n, d.disk.snapshot(), d.model.clone()));
                } else if (r < 70) {
                    op = "group snapshot";
                    List<LayeredDisk> all = new ArrayList<>();
                    for (Modeled d : disks) {
                        all.add(d.disk);
                    }
                    List<LayeredDisk> taken = LayeredDisk.snapshotAll(all);
                    for (int i = 0; i < taken.size(); i++) {
                        snapshots.add(new Modeled(disks.get(i).name + "@g" + n, taken.get(i), disks.get(i).model.clone()));
                    }
                } else if (r < 78 && !snapshots.isEmpty()) {
                    Modeled d = pick(rnd, disks);
                    Modeled s = pick(rnd, snapshots);
                    op = "rollback " + d.name + " to " + s.name;
                    d.disk.rollback(s.disk);
                    d.model = s.model.clone();
                } else if (r < 88 && !snapshots.isEmpty()) {
                    Modeled s = snapshots.remove(rnd.nextInt(snapshots.size()));
                    op = "delete snapshot " + s.name;
                    s.disk.close();
                } else if (r < 94 && disks.size() < 6) {
                    boolean fromSnapshot = rnd.nextBoolean() && !snapshots.isEmpty();
                    Modeled src = pick(rnd, fromSnapshot ? snapshots : disks);
                    op = "clone " + src.name;
                    disks.add(new Modeled("d" + names++ + "<" + src.name, src.disk.cloneDisk(), src.model.clone()));
                } else if (r < 97 && disks.size() < 6) {
                    boolean fromSnapshot = rnd.nextBoolean() && !snapshots.isEmpty();
                    Modeled src = pick(rnd, fromSnapshot ? snapshots : disks);
                    boolean fresh = rnd.nextBoolean();
                    Modeled dst = fresh ? null : pick(rnd, disks);
                    if (dst == null) {
                        dst = new Modeled("d" + names++ + "<cp " + src.name, LayeredDisk.of(RamLayer.create(0, SECTOR, budget), false),
                                new byte[0]);
                        disks.add(dst);
                    }
                    op = "copy ranges of " + src.name + " to " + dst.name;
                    copyLikeCp(rnd, src, dst);
                } else if (disks.size() > 1) {
                    Modeled d = disks.remove(rnd.nextInt(disks.size()));
                    op = "delete disk " + d.name;
                    d.disk.close();
                }
                if (n % 250 == 0) {
                    checkAll(disks, snapshots, "after op " + n + " (" + op + ")", seed);
                }
            }
            checkAll(disks, snapshots, "at the end", seed);
            assertTrue(sharedCopies > 0, "seed " + seed + ": no range copy was shared");
            // Without snapshots, every disk merges back to its live layer over its base.
            for (Modeled s : snapshots) {
                s.disk.close();
            }
            snapshots.clear();
            checkAll(disks, snapshots, "after deleting every snapshot", seed);
            for (Modeled d : disks) {
                int sharedByClones = 0;
                for (Modeled other : disks) {
                    if (other != d) {
                        sharedByClones++;
                    }
                }
                assertTrue(d.disk.depth() <= 2 + sharedByClones,
                        "seed " + seed + ": " + d.name + " still has " + d.disk.depth() + " layers: " + d.disk);
            }
        } catch (DiskException | RuntimeException | AssertionError e) {
            throw new AssertionError("seed " + seed + ", operation '" + op + "': " + e, e);
        } finally {
            for (Modeled s : snapshots) {
                s.disk.close();
            }
            for (Modeled d : disks) {
                d.disk.close();
            }
        }
        assertEquals(0, budget.used(), "seed " + seed + ": memory left in the budget after closing everything");
    }

    /**
     * Copies ascending sector ranges of {@code src} to the same offsets of {@code dst} as
     * {@code cp} does with {@code copy_file_range}: shared where the disks can share layers,
     * copied through a buffer where not.
     */
    private static void copyLikeCp(Random rnd, Modeled src, Modeled dst) throws DiskException {
        long sectors = src.model.length / SECTOR;
        long at = 0;
        while (at < sectors) {
            long start = at + (rnd.nextInt(3) == 0 ? rnd.nextInt(300) : 0);
            if (start >= sectors) {
                break;
            }
            long count = 1 + rnd.nextInt((int) Math.min(sectors - start, 1200));
            if (LayeredDisk.shareRange(src.disk, dst.disk, start, count)) {
                sharedCopies++;
            } else {
                byte[] buf = new byte[(int) count * SECTOR];
                src.disk.bytes().read(start * SECTOR, buf, BYTES, buf.length);
                try {
                    dst.disk.bytes().write(start * SECTOR, buf, BYTES, buf.length);
                } catch (DiskException e) {
                    if (e.error() != DiskError.NO_SPACE) {
                        throw e;
                    }
                    return;
                }
            }
            int end = (int) ((start + count) * SECTOR);
            if (dst.model.length < end) {
                dst.model = Arrays.copyOf(dst.model, end);
            }
            System.arraycopy(src.model, (int) start * SECTOR, dst.model, (int) start * SECTOR, (int) count * SECTOR);
            at = start + count;
        }
    }

    private static Modeled pick(Random rnd, List<Modeled> from) {
        return from.get(rnd.nextInt(from.size()));
    }

    private static void write(Random rnd, Modeled d) throws DiskException {
        int size = d.model.length;
        int pos = rnd.nextInt(Math.max(1, size + SECTOR * 4));
        int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 700 : 200_000);
        if (pos + len > MAX_SIZE) {
            len = Math.max(1, MAX_SIZE - pos);
        }
        if (pos >= MAX_SIZE) {
            return;
        }
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        try {
            d.disk.bytes().write(pos, data, BYTES, len);
        } catch (DiskException e) {
            if (e.error() != DiskError.NO_SPACE) {
                throw e;
            }
            return; // refused for lack of memory: nothing changed, as the next checks prove
        }
        if (pos + len > size) {
            int grown = (pos + len + SECTOR - 1) / SECTOR * SECTOR;
            d.model = Arrays.copyOf(d.model, grown);
        }
        System.arraycopy(data, 0, d.model, pos, len);
    }

    private static void unmap(Random rnd, Modeled d) throws DiskException {
        int size = d.model.length;
        if (size == 0) {
            return;
        }
        int pos = rnd.nextInt(size);
        int len = 1 + rnd.nextInt(Math.min(size, 300_000));
        int end = Math.min(size, pos + len);
        try {
            d.disk.bytes().unmap(pos, len);
        } catch (DiskException e) {
            if (e.error() != DiskError.NO_SPACE) {
                throw e;
            }
            // Zeroing a partial sector in place needs memory; without it, each byte is either as
            // it was or zero (the whole sectors and the other partial one may have gone through).
            byte[] got = new byte[end - pos];
            d.disk.bytes().read(pos, got, BYTES, got.length);
            for (int i = 0; i < got.length; i++) {
                if (got[i] != 0 && got[i] != d.model[pos + i]) {
                    fail("a refused unmap left byte " + (pos + i) + " neither as it was nor zero");
                }
            }
            System.arraycopy(got, 0, d.model, pos, got.length);
            return;
        }
        Arrays.fill(d.model, pos, end, (byte) 0);
    }

    private static void readAndCheck(Random rnd, Modeled d, String op, long seed) throws DiskException {
        int size = d.model.length;
        int pos = rnd.nextInt(size + 1);
        int len = rnd.nextInt(150_000);
        byte[] got = new byte[len];
        int n = d.disk.bytes().read(pos, got, BYTES, len);
        int expected = Math.max(0, Math.min(len, size - pos));
        assertEquals(expected, n, "seed " + seed + ": " + op + " at " + pos + " length " + len + " read " + n + " bytes");
        compare(d, Arrays.copyOfRange(d.model, pos, pos + n), Arrays.copyOf(got, n), pos, op, seed);
    }

    private static void checkAll(List<Modeled> disks, List<Modeled> snapshots, String when, long seed) throws DiskException {
        for (List<Modeled> list : List.of(disks, snapshots)) {
            for (Modeled d : list) {
                assertEquals(d.model.length, d.disk.sizeBytes(), "seed " + seed + ": size of " + d.name + " " + when);
                byte[] got = new byte[d.model.length];
                d.disk.bytes().read(0, got, BYTES, got.length);
                compare(d, d.model, got, 0, "whole " + d.name + " " + when, seed);
                checkHoles(d, when, seed);
            }
        }
    }

    /**
     * Walks the disk with SEEK_DATA / SEEK_HOLE: every hole must read zeros in the model (so no
     * byte of data is ever skipped), data and holes alternate, and the walk ends at the size.
     */
    private static void checkHoles(Modeled d, String when, long seed) {
        long size = d.model.length;
        long pos = 0;
        while (pos < size) {
            long data = d.disk.seekData(pos);
            long holeEnd = data < 0 ? size : data;
            for (long i = pos; i < holeEnd; i++) {
                if (d.model[(int) i] != 0) {
                    fail("seed " + seed + ": " + d.name + " " + when + ": SEEK_DATA from " + pos + " says " + data
                            + " but byte " + i + " is " + d.model[(int) i] + " in " + d.disk);
                }
            }
            if (data < 0) {
                break;
            }
            long hole = d.disk.seekHole(data);
            assertTrue(hole > data && hole <= size, "seed " + seed + ": SEEK_HOLE from " + data + " says " + hole);
            pos = hole;
        }
        assertEquals(-1, d.disk.seekData(size), "SEEK_DATA at the end");
        assertEquals(-1, d.disk.seekHole(size), "SEEK_HOLE at the end");
    }

    /** Says where the bytes differ first, and how far the difference runs. */
    private static void compare(Modeled d, byte[] expected, byte[] got, long at, String what, long seed) {
        int i = Arrays.mismatch(expected, got);
        if (i < 0) {
            return;
        }
        int j = i;
        while (j < expected.length && expected[j] != got[j]) {
            j++;
        }
        fail("seed " + seed + ": " + what + ": bytes [" + (at + i) + ", " + (at + j) + ") differ (expected "
                + expected[i] + ", got " + got[i] + ") in " + d.disk);
    }
}

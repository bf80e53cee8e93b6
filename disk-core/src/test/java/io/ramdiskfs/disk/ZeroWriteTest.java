package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.image.ImageHoles;
import io.ramdiskfs.disk.image.ImageLoader;
import io.ramdiskfs.disk.image.ImageWriter;
import io.ramdiskfs.disk.image.Progress;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zeros cost nothing: a write of zeros over whole chunks, or over the only data a chunk holds,
 * takes the zero state (no memory; over a base it still hides the base), a chunk left without data
 * gives its memory back, and zeros inside a chunk that holds other data stay data. Random writes
 * of zero and non-zero pieces at sector-unaligned offsets, over data and over a base image, read
 * back exactly as a byte[] model says; committed bytes and the zero bytes counted are what the
 * model predicts; SEEK_DATA / SEEK_HOLE agree with reads; snapshots and saves of such disks.
 */
class ZeroWriteTest {
    static final int SS = 512;
    static final int CHUNK = RamLayer.CHUNK_BYTES;
    static final int PER_CHUNK = CHUNK / SS;
    static final int CHUNKS = 24;
    static final int SIZE = CHUNKS * CHUNK;
    static final int SECTORS = SIZE / SS;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    LayeredDisk disk;

    @AfterEach
    void close() {
        if (disk != null) {
            disk.close();
        }
        assertEquals(0, budget.used(), "memory left after close");
    }

    /**
     * What the disk reads, and per sector of its top RAM layer whether it holds data (takes
     * memory). The top layer sees a write as whole sectors ({@link DiskBytes} reads the partial
     * ones around it); per chunk piece, zeros in a chunk with no data outside the piece take the
     * zero state, anything else is data.
     */
    static final class Model {
        final byte[] bytes = new byte[SIZE];
        final boolean[] data = new boolean[SECTORS];
        long zeroBytes;

        void write(long position, byte[] src) {
            System.arraycopy(src, 0, bytes, (int) position, src.length);
            layerWrite(position / SS, (position + src.length + SS - 1) / SS);
        }

        void layerWrite(long s, long e) {
            for (long c = s / PER_CHUNK; c <= (e - 1) / PER_CHUNK; c++) {
                int p0 = (int) Math.max(s, c * PER_CHUNK);
                int p1 = (int) Math.min(e, (c + 1) * PER_CHUNK);
                boolean otherData = false;
                for (int i = (int) (c * PER_CHUNK); i < (c + 1) * PER_CHUNK; i++) {
                    otherData |= (i < p0 || i >= p1) && data[i];
                }
                boolean zeroState = allZero(p0 * SS, p1 * SS) && !otherData;
                java.util.Arrays.fill(data, p0, p1, !zeroState);
                if (zeroState) {
                    zeroBytes += (long) (p1 - p0) * SS;
                }
            }
        }

        /** DiskBytes.unmap: partial sectors are written (zeroed), whole ones dropped. */
        void unmap(long position, long length) {
            java.util.Arrays.fill(bytes, (int) position, (int) (position + length), (byte) 0);
            long end = position + length;
            long firstWhole = (position + SS - 1) / SS * SS;
            long lastWhole = end / SS * SS;
            if (firstWhole > lastWhole) {
                layerWrite(position / SS, position / SS + 1);
                return;
            }
            if (position < firstWhole) {
                layerWrite(position / SS, position / SS + 1);
            }
            if (lastWhole < end) {
                layerWrite(lastWhole / SS, lastWhole / SS + 1);
            }
            java.util.Arrays.fill(data, (int) (firstWhole / SS), (int) (lastWhole / SS), false);
        }

        boolean allZero(int from, int to) {
            for (int i = from; i < to; i++) {
                if (bytes[i] != 0) {
                    return false;
                }
            }
            return true;
        }

        long committed() {
            long n = 0;
            for (int c = 0; c < CHUNKS; c++) {
                for (int i = c * PER_CHUNK; i < (c + 1) * PER_CHUNK; i++) {
                    if (data[i]) {
                        n += CHUNK;
                        break;
                    }
                }
            }
            return n;
        }
    }

    LayeredDisk lone() {
        return LayeredDisk.of(RamLayer.create(SIZE, SS, budget), false);
    }

    LayeredDisk overBase(Model m) throws Exception {
        SectorPattern.fill(m.bytes, 0, SIZE, 0, 1);
        return TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base.img", SIZE, 1, SS));
    }

    LayerIo top() {
        return disk.layers().get(0);
    }

    /** A piece of {@code n} bytes: runs of zeros and of random bytes, some runs zero but for one byte. */
    static byte[] piece(Random r, int n) {
        byte[] b = new byte[n];
        for (int at = 0; at < n; ) {
            int run = Math.min(n - at, 1 + r.nextInt(r.nextBoolean() ? 2 * CHUNK : 3 * SS));
            switch (r.nextInt(5)) {
                case 0, 1 -> { } // zeros
                case 2 -> b[at + r.nextInt(run)] = (byte) (1 + r.nextInt(255)); // zeros but for one byte
                default -> {
                    byte[] x = new byte[run];
                    r.nextBytes(x);
                    System.arraycopy(x, 0, b, at, run);
                }
            }
            at += run;
        }
        return b;
    }

    void check(Model m, String when) throws DiskException {
        byte[] back = new byte[SIZE];
        assertEquals(SIZE, disk.bytes().read(0, back, BYTES, SIZE));
        SectorPattern.checkEquals(back, 0, m.bytes, 0, SIZE, 0, SS);
        assertEquals(m.committed(), top().committedBytes(), when + ": committed bytes of the top layer");
        assertEquals(m.zeroBytes, top().zeroBytesWritten(), when + ": zero bytes counted");
        checkSeek(back, when);
    }

    /** Whatever SEEK_HOLE calls a hole reads zero, and every byte that is not zero lies in data. */
    void checkSeek(byte[] back, String when) {
        long pos = 0;
        while (pos < SIZE) {
            long d = disk.seekData(pos);
            long holeEnd = d < 0 ? SIZE : d;
            for (long i = pos; i < holeEnd; i++) {
                if (back[(int) i] != 0) {
                    throw new AssertionError(when + ": byte " + i + " reads " + back[(int) i] + " but lies in a hole ["
                            + pos + ", " + holeEnd + ")");
                }
            }
            if (d < 0) {
                break;
            }
            long h = disk.seekHole(d);
            assertTrue(h > d, when + ": SEEK_HOLE from data at " + d + " answered " + h);
            pos = h;
        }
    }

    void randomWrites(Model m, long seed, int ops) throws DiskException {
        Random r = new Random(seed);
        for (int op = 0; op < ops; op++) {
            String when = "seed " + seed + ", op " + op;
            int kind = r.nextInt(10);
            if (kind < 3) {
                // Whole chunks, aligned: the path dd and a guest take.
                int c0 = r.nextInt(CHUNKS);
                int n = 1 + r.nextInt(Math.min(3, CHUNKS - c0));
                byte[] b = r.nextBoolean() ? new byte[n * CHUNK] : piece(r, n * CHUNK);
                disk.bytes().write((long) c0 * CHUNK, b, BYTES, b.length);
                m.write((long) c0 * CHUNK, b);
            } else if (kind < 9) {
                // Anywhere, any length under the scratch size, so the layer sees one write.
                int at = r.nextInt(SIZE - 1);
                int n = 1 + r.nextInt(Math.min(SIZE - at, 300 * 1024));
                byte[] b = piece(r, n);
                disk.bytes().write(at, b, BYTES, n);
                m.write(at, b);
            } else {
                int at = r.nextInt(SIZE - 1);
                int n = 1 + r.nextInt(Math.min(SIZE - at, 3 * CHUNK));
                disk.bytes().unmap(at, n);
                m.unmap(at, n);
            }
            check(m, when);
        }
    }

    @Test
    void zerosOverDataGiveTheMemoryBackChunkByChunk() throws Exception {
        disk = lone();
        Model m = new Model();
        byte[] all = new byte[SIZE];
        new Random(1).nextBytes(all);
        disk.bytes().write(0, all, BYTES, SIZE);
        m.write(0, all);
        assertEquals(SIZE, top().committedBytes());
        byte[] zeros = new byte[4 * CHUNK];
        disk.bytes().write(2L * CHUNK, zeros, BYTES, zeros.length);
        m.write(2L * CHUNK, zeros);
        check(m, "four chunks of zeros");
        assertEquals(SIZE - 4L * CHUNK, top().committedBytes());
        assertEquals(SIZE - 4L * CHUNK, budget.used(), "the budget got the memory back");
        // Half a chunk of zeros in a chunk of data stays data; the other half follows and frees it.
        disk.bytes().write(10L * CHUNK, zeros, BYTES, CHUNK / 2);
        m.write(10L * CHUNK, new byte[CHUNK / 2]);
        check(m, "half a chunk");
        assertEquals(SIZE - 4L * CHUNK, top().committedBytes());
        disk.bytes().write(10L * CHUNK + CHUNK / 2, zeros, BYTES, CHUNK / 2);
        m.write(10L * CHUNK + CHUNK / 2, new byte[CHUNK / 2]);
        check(m, "the other half");
        assertEquals(SIZE - 4L * CHUNK, top().committedBytes(), "the chunk's first half was written as data");
    }

    @Test
    void zerosNeverWrittenAsDataCostNothingWhateverTheirSize() throws Exception {
        disk = lone();
        Model m = new Model();
        // Sector-unaligned zeros across chunks, then single sectors, on a disk that holds nothing.
        byte[] z = new byte[5 * CHUNK + 333];
        disk.bytes().write(CHUNK - 77, z, BYTES, z.length);
        m.write(CHUNK - 77, z);
        for (int s = 0; s < 3 * PER_CHUNK; s += 7) {
            disk.bytes().write((long) s * SS, z, BYTES, SS);
            m.write((long) s * SS, new byte[SS]);
        }
        check(m, "zeros only");
        assertEquals(0, top().committedBytes());
        assertEquals(0, budget.used());
    }

    @Test
    void zerosAreNeverRefusedForMemory() throws Exception {
        MemoryBudget small = new MemoryBudget(2L * CHUNK);
        LayeredDisk d = LayeredDisk.of(RamLayer.create(SIZE, SS, small), false);
        try {
            byte[] b = new byte[SIZE];
            b[5] = 1;
            b[CHUNK + 9] = 2;
            d.bytes().write(0, b, BYTES, SIZE); // two chunks of data, twenty-two of zeros
            assertEquals(2L * CHUNK, d.committedBytes());
            byte[] back = new byte[SIZE];
            d.bytes().read(0, back, BYTES, SIZE);
            SectorPattern.checkEquals(back, 0, b, 0, SIZE, 0, SS);
            b[3 * CHUNK] = 3;
            TestDisks.assertFails(DiskError.NO_SPACE, () -> d.bytes().write(0, b, BYTES, SIZE));
            d.bytes().read(0, back, BYTES, SIZE);
            assertEquals(0, back[3 * CHUNK], "a refused write changed the disk");
        } finally {
            d.close();
        }
        assertEquals(0, small.used());
    }

    @Test
    void randomZeroAndDataPiecesOverData() throws Exception {
        disk = lone();
        Model m = new Model();
        byte[] all = new byte[SIZE];
        new Random(2).nextBytes(all);
        disk.bytes().write(0, all, BYTES, SIZE);
        m.write(0, all);
        randomWrites(m, 3, 300);
        assertTrue(m.zeroBytes > 0, "the random writes took the zero path nowhere");
    }

    @Test
    void randomZeroAndDataPiecesOverABaseImageStillHideIt() throws Exception {
        Model m = new Model();
        disk = overBase(m);
        check(m, "the base alone");
        randomWrites(m, 4, 300);
        byte[] z = new byte[3 * CHUNK];
        disk.bytes().write(7L * CHUNK, z, BYTES, z.length);
        m.write(7L * CHUNK, z);
        check(m, "three chunks of zeros over the base");
        TestDisks.checkZeros(disk, 7L * PER_CHUNK, 3 * PER_CHUNK);
    }

    @Test
    void snapshotsOfADiskWrittenWithZeros() throws Exception {
        Model m = new Model();
        disk = overBase(m);
        randomWrites(m, 5, 60);
        byte[] before = m.bytes.clone();
        long frozenCommitted = m.committed();
        LayeredDisk snap = disk.snapshot();
        // A new top layer: nothing of it holds data yet.
        Model after = new Model();
        System.arraycopy(m.bytes, 0, after.bytes, 0, SIZE);
        byte[] z = new byte[6 * CHUNK];
        disk.bytes().write(3L * CHUNK + 1000, z, BYTES, z.length);
        after.write(3L * CHUNK + 1000, z);
        randomWrites(after, 6, 60);
        assertEquals(frozenCommitted + after.committed(), disk.committedBytes(), "frozen layer plus the new top");
        byte[] back = new byte[SIZE];
        snap.bytes().read(0, back, BYTES, SIZE);
        SectorPattern.checkEquals(back, 0, before, 0, SIZE, 0, SS);
        long zeroTotal = disk.zeroBytesWritten();
        assertEquals(m.zeroBytes + after.zeroBytes, zeroTotal);
        snap.close(); // the frozen layer merges into the top
        disk.bytes().read(0, back, BYTES, SIZE);
        SectorPattern.checkEquals(back, 0, after.bytes, 0, SIZE, 0, SS);
        checkSeek(back, "after the merge");
        assertEquals(zeroTotal, disk.zeroBytesWritten(), "a merge keeps the zero bytes counted");
    }

    @Test
    void aSaveOfADiskWrittenWithZerosHasHolesThereAndLoadsBackWithoutMemory() throws Exception {
        disk = lone();
        Model m = new Model();
        byte[] all = new byte[SIZE];
        new Random(7).nextBytes(all);
        disk.bytes().write(0, all, BYTES, SIZE);
        m.write(0, all);
        byte[] z = new byte[CHUNK];
        for (int c = 0; c < CHUNKS; c += 2) {
            disk.bytes().write((long) c * CHUNK, z, BYTES, CHUNK);
            m.write((long) c * CHUNK, z);
        }
        check(m, "every other chunk zero");
        assertEquals(SIZE / 2, top().committedBytes());
        Path image = dir.resolve("disk.raw");
        LayeredDisk snap = disk.snapshot();
        ImageWriter.save(snap, image, Progress.NONE);
        snap.close();
        byte[] saved = Files.readAllBytes(image);
        SectorPattern.checkEquals(saved, 0, m.bytes, 0, SIZE, 0, SS);
        long allocated = allocatedBytes(image);
        assertTrue(allocated <= SIZE / 2 + 64 * 1024, "the image holds " + allocated + " bytes of blocks for "
                + SIZE / 2 + " of data: its zeros are not holes");
        // Loading copies every byte of the image, zeros included, and stores only the data.
        RamLayer loaded = RamLayer.create(SIZE, SS, budget);
        ImageLoader.load(image, loaded, ImageHoles.ALL_DATA, Progress.NONE);
        assertEquals(SIZE / 2, loaded.committedBytes());
        assertEquals(SIZE / 2, loaded.zeroBytesWritten());
        LayeredDisk back = LayeredDisk.of(loaded, true);
        try {
            SectorPattern.checkEquals(TestDisks.contents(back), 0, m.bytes, 0, SIZE, 0, SS);
        } finally {
            back.close();
        }
    }

    /** The file's allocated blocks, as du counts them. */
    static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes()).trim().split(" ");
        assertEquals(0, p.waitFor(), String.join(" ", out));
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }
}

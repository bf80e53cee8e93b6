package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static io.ramdiskfs.disk.TestDisks.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Byte-granular access: unaligned reads and writes, short reads, growth by writing, punching, sizes. */
class DiskBytesTest {
    static final int SS = 512;
    static final int SIZE = 256 * 1024;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    LayeredDisk disk;

    @AfterEach
    void close() {
        disk.close();
        assertEquals(0, budget.used());
    }

    DiskBytes overImage(int sectorSize) throws Exception {
        disk = TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base.img", SIZE, 0, sectorSize));
        return disk.bytes();
    }

    byte[] readAll(DiskBytes bytes) throws DiskException {
        byte[] b = new byte[(int) bytes.size()];
        assertEquals(b.length, bytes.read(0, b, BYTES, b.length));
        return b;
    }

    @Test
    void unalignedReadsSeeTheRightBytes() throws Exception {
        DiskBytes bytes = overImage(SS);
        for (long pos : new long[] {0, 1, 3, 511, 512, 513, 1000, 65535, SIZE - 700}) {
            for (int len : new int[] {1, 2, 5, 511, 512, 513, 1024, 1500, 700}) {
                byte[] b = new byte[len];
                int n = bytes.read(pos, b, BYTES, len);
                assertEquals(Math.min(len, SIZE - pos), n);
                SectorPattern.check(b, 0, n, pos, 0, SS);
            }
        }
    }

    @Test
    void unalignedWritesChangeOnlyTheirBytes() throws Exception {
        for (int ss : new int[] {512, 4096}) {
            DiskBytes bytes = overImage(ss);
            byte[] model = readAll(bytes);
            long[][] writes = {{1, 1}, {510, 4}, {1000, 3000}, {4095, 2}, {8191, 8194}, {SIZE - 3, 3}, {SIZE - 5000, 4999}};
            int gen = 1;
            for (long[] w : writes) {
                byte[] data = SectorPattern.bytes(w[0], (int) w[1], gen);
                assertEquals(w[1], bytes.write(w[0], data, BYTES, (int) w[1]));
                System.arraycopy(data, 0, model, (int) w[0], (int) w[1]);
                SectorPattern.checkEquals(readAll(bytes), 0, model, 0, SIZE, 0, ss);
                gen++;
            }
            disk.close();
        }
        disk = LayeredDisk.of(RamLayer.create(SS, SS, budget), false);
    }

    @Test
    void unalignedWritesLargerThanTheScratchBufferLandWhole() throws Exception {
        for (int ss : new int[] {512, 4096}) {
            DiskBytes bytes = overImage(ss);
            int at = 777;
            int len = 3 * 1024 * 1024 + 123;
            bytes.write(at, SectorPattern.bytes(at, len, 9), BYTES, len);
            long end = at + len;
            assertEquals((end + ss - 1) / ss * ss, bytes.size());
            byte[] all = readAll(bytes);
            SectorPattern.check(all, 0, at, 0, 0, ss);
            SectorPattern.check(all, at, len, at, 9, ss);
            SectorPattern.checkZeros(all, (int) end, all.length - (int) end, end, ss);
            disk.close();
        }
        disk = LayeredDisk.of(RamLayer.create(SS, SS, budget), false);
    }

    @Test
    void aReadAcrossTheEndIsShortAndOneAtOrPastTheEndReadsNothing() throws Exception {
        DiskBytes bytes = overImage(SS);
        byte[] b = new byte[100];
        assertEquals(10, bytes.read(SIZE - 10, b, BYTES, 100));
        SectorPattern.check(b, 0, 10, SIZE - 10, 0, SS);
        assertEquals(0, bytes.read(SIZE, b, BYTES, 100));
        assertEquals(0, bytes.read(Long.MAX_VALUE - 100, b, BYTES, 100));
        assertEquals(0, bytes.read(5, b, BYTES, 0));
    }

    @Test
    void badByteRangesFailWithIllegalBlock() throws Exception {
        DiskBytes bytes = overImage(SS);
        byte[] b = new byte[16];
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.read(-1, b, BYTES, 1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.read(Long.MIN_VALUE, b, BYTES, 1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.read(0, b, BYTES, -1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.read(Long.MAX_VALUE, b, BYTES, 1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.write(-1, b, BYTES, 1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.write(0, b, BYTES, -5));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.write(Long.MAX_VALUE, b, BYTES, 2));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.unmap(-1, 1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.unmap(0, -1));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.unmap(1, Long.MAX_VALUE));
        assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.unmap(Long.MIN_VALUE, Long.MAX_VALUE));
        assertFails(DiskError.TOO_LARGE, () -> bytes.write(SectorRange.MAX_DISK_BYTES - 1, b, BYTES, 2));
        assertFails(DiskError.INVALID_INPUT, () -> bytes.resize(-SS));
        assertFails(DiskError.INVALID_INPUT, () -> bytes.resize(SS + 1));
        assertFails(DiskError.TOO_LARGE, () -> bytes.resize(SectorRange.MAX_DISK_BYTES + SS));
        assertFails(DiskError.INVALID_INPUT, () -> bytes.growTo(-1));
        assertFails(DiskError.TOO_LARGE, () -> bytes.growTo(Long.MAX_VALUE));
        assertEquals(SIZE, bytes.size());
        SectorPattern.check(readAll(bytes), 0, 0);
        assertEquals(0, disk.committedBytes());
    }

    @Test
    void aWritePastTheEndGrowsTheDiskToTheNextSector() throws Exception {
        DiskBytes bytes = overImage(SS);
        bytes.write(SIZE + 1000, new byte[] {7, 8}, BYTES, 2);
        assertEquals(SIZE + 1024, bytes.size());
        byte[] all = readAll(bytes);
        SectorPattern.check(all, 0, SIZE, 0, 0, SS);
        assertEquals(7, all[SIZE + 1000]);
        assertEquals(8, all[SIZE + 1001]);
        all[SIZE + 1000] = 0;
        all[SIZE + 1001] = 0;
        SectorPattern.checkZeros(all, SIZE, 1024, SIZE, SS);
        bytes.write(3L * SIZE, new byte[SS], BYTES, SS);
        assertEquals(3L * SIZE + SS, bytes.size());
        bytes.growTo(3L * SIZE + 1);
        assertEquals(3L * SIZE + SS, bytes.size());
        bytes.growTo(4L * SIZE + 1);
        assertEquals(4L * SIZE + SS, bytes.size());
    }

    @Test
    void aWritePastTheEndThatTheBudgetRefusesLeavesTheSizeAlone() throws Exception {
        MemoryBudget none = new MemoryBudget(0);
        disk = LayeredDisk.of(RamLayer.create(SIZE, SS, none), false);
        DiskBytes bytes = disk.bytes();
        byte[] data = {1, 2, 3, 4}; // zeros would need no memory
        assertFails(DiskError.NO_SPACE, () -> bytes.write(SIZE + 10, data, BYTES, 4));
        assertEquals(SIZE, bytes.size(), "a refused write must not grow the disk");
        assertFails(DiskError.NO_SPACE, () -> bytes.write(SIZE - 2, data, BYTES, 4));
        assertEquals(SIZE, bytes.size());
        assertEquals(0, none.used());
    }

    @Test
    void unmapZeroesPartialSectorsInPlaceAndClipsAtTheEnd() throws Exception {
        DiskBytes bytes = overImage(SS);
        bytes.unmap(SIZE - 1000, 1L << 40);
        assertEquals(SIZE, bytes.size(), "an unmap never grows the disk");
        byte[] all = readAll(bytes);
        SectorPattern.check(all, 0, SIZE - 1000, 0, 0, SS);
        SectorPattern.checkZeros(all, SIZE - 1000, 1000, SIZE - 1000, SS);
        bytes.unmap(100, 10);
        bytes.unmap(SIZE + 5, 10);
        bytes.unmap(7, 0);
        all = readAll(bytes);
        SectorPattern.check(all, 0, 100, 0, 0, SS);
        SectorPattern.checkZeros(all, 100, 10, 100, SS);
        SectorPattern.check(all, 110, SIZE - 1110, 110, 0, SS);
    }

    @Test
    void resizeSetsTheSizeInBytes() throws Exception {
        DiskBytes bytes = overImage(SS);
        bytes.resize(SS);
        assertEquals(SS, bytes.size());
        bytes.resize(0);
        assertEquals(0, bytes.size());
        byte[] b = new byte[4];
        assertEquals(0, bytes.read(0, b, BYTES, 4));
        bytes.resize(SIZE);
        SectorPattern.checkZeros(readAll(bytes), 0);
    }

    @Test
    void directBuffersWorkAsTheFuseSideUsesThem() throws Exception {
        DiskBytes bytes = overImage(SS);
        ByteBuffer src = ByteBuffer.allocateDirect(3000);
        SectorPattern.fill(src, 777, 5);
        bytes.write(777, null, NativeMemory.offsetOf(src), 3000);
        ByteBuffer dst = ByteBuffer.allocateDirect(5000);
        assertEquals(5000, bytes.read(500, null, NativeMemory.offsetOf(dst), 5000));
        byte[] got = new byte[5000];
        dst.get(0, got);
        SectorPattern.check(got, 0, 277, 500, 0, SS);
        SectorPattern.check(got, 277, 3000, 777, 5, SS);
        SectorPattern.check(got, 3277, 5000 - 3277, 3777, 0, SS);
    }

    /**
     * The largest FUSE write, 1 MiB at an unaligned offset, spans 17 chunks. With room for 16 it
     * is refused whole: it used to be split at the scratch's size, and the first piece landed
     * before the second was refused (issue 20, item 11).
     */
    @Test
    void anUnalignedMebibyteWriteTheBudgetRefusesWritesNothing() throws Exception {
        MemoryBudget sixteen = new MemoryBudget(16L * RamLayer.CHUNK_BYTES);
        disk = LayeredDisk.of(RamLayer.create(4L << 20, SS, sixteen), false);
        DiskBytes bytes = disk.bytes();
        byte[] data = new byte[1 << 20];
        java.util.Arrays.fill(data, (byte) 0x5a); // not zeros: zeros need no memory
        assertFails(DiskError.NO_SPACE, () -> bytes.write(100, data, BYTES, data.length));
        assertEquals(0, sixteen.used(), "a refused write holds memory");
        byte[] back = new byte[data.length + 2 * SS];
        bytes.read(0, back, BYTES, back.length);
        for (int i = 0; i < back.length; i++) {
            if (back[i] != 0) {
                throw new AssertionError("a refused write changed byte " + i + " to " + back[i]);
            }
        }
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.SECTOR;
import static io.ramdiskfs.fs.Fixture.assertDiskBytes;
import static io.ramdiskfs.fs.Fixture.assertDiskError;
import static io.ramdiskfs.fs.Fixture.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.NativeMemory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** pread/pwrite through the directory: any offset and length, the end of the disk, growth. */
class DiskDirectoryIoTest {

    @ParameterizedTest(name = "write {1} bytes at {0}")
    @CsvSource({
        "0, 512", "0, 1", "1, 1", "511, 1", "511, 2", "100, 1000", "3, 4096", "0, 65536", "65535, 2",
        "65000, 2000", "130000, 70000", "7, 131072", "1048575, 1"
    })
    void unalignedWriteReadsBackAndLeavesNeighboursAlone(long pos, int length) throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 2 << 20);
            long before = Math.max(0, pos - 700);
            fx.writePattern(fh, before, (int) (pos - before), 1);
            fx.writePattern(fh, pos + length, 700, 2);

            fx.writePattern(fh, pos, length, 3);

            fx.assertPattern(fh, pos, length, 3);
            fx.assertPattern(fh, before, (int) (pos - before), 1);
            fx.assertPattern(fh, pos + length, 700, 2);
        }
    }

    @ParameterizedTest(name = "read {1} bytes at {0}")
    @CsvSource({"0, 1", "1, 511", "511, 1", "300, 5000", "65535, 3", "65530, 70000", "99, 200000"})
    void unalignedReadOfAlignedDataReturnsTheRightSlice(long pos, int length) throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 512 << 10);
            fx.writePattern(fh, 0, 512 << 10, 9);
            fx.assertPattern(fh, pos, length, 9);
        }
    }

    @Test
    void freshDiskReadsZeros() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 1 << 20);
            fx.assertZeros(fh, 0, 1 << 20);
            fx.assertZeros(fh, 12345, 777);
        }
    }

    @Test
    void readCrossingTheEndIsShort() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 4);
            byte[] got = fx.read(fh, 4000, 500);
            assertDiskBytes(Fixture.pattern(4000, 96, 4), got, 4000, "short read");
        }
    }

    @Test
    void readAtOrPastTheEndReturnsZeroBytes() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertEquals(0, fx.read(fh, 4096, 512).length, "read at the end");
            assertEquals(0, fx.read(fh, 4097, 1).length, "read just past the end");
            assertEquals(0, fx.read(fh, 1L << 49, 4096).length, "read far past the end");
            assertEquals(0, fx.read(fh, Long.MAX_VALUE - 10, 5).length, "read at Long.MAX_VALUE - 10");
        }
    }

    @Test
    void readOfAnEmptyDiskReturnsZeroBytes() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("empty", 0);
            assertEquals(0, fx.read(fh, 0, 4096).length);
        }
    }

    @Test
    void zeroLengthReadAndWriteDoNothing() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertEquals(0, fx.read(fh, 100, 0).length);
            assertEquals(0, fx.dir.write(fh, 100, new byte[1], NativeMemory.BYTE_ARRAY_BASE, 0));
            assertEquals(4096, fx.dir.file(fh).size());
            assertEquals(0, fx.dir.file(fh).disk().committedBytes());
        }
    }

    @Test
    void negativeOffsetIsEinval() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EINVAL, () -> fx.read(fh, -1, 10));
            assertErrno(Errno.EINVAL, () -> fx.write(fh, -512, new byte[512]));
            assertDiskError(DiskError.ILLEGAL_BLOCK, () -> fx.write(fh, -1, new byte[1]));
        }
    }

    @Test
    void writePastTheEndGrowsToAWholeSector() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 1);
            fx.writePattern(fh, 10_000, 100, 2);
            DiskFile f = fx.dir.file(fh);
            assertEquals(10_240, f.size(), "size after a write ending at 10100: rounded up to a sector");
            fx.assertPattern(fh, 0, 4096, 1);
            fx.assertZeros(fh, 4096, 10_000 - 4096);
            fx.assertPattern(fh, 10_000, 100, 2);
            fx.assertZeros(fh, 10_100, 140);
        }
    }

    @Test
    void writeEndingExactlyOnASectorGrowsToThatEnd() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 0);
            fx.writePattern(fh, 512, 1024, 5);
            assertEquals(1536, fx.dir.file(fh).size());
            fx.assertZeros(fh, 0, 512);
            fx.assertPattern(fh, 512, 1024, 5);
        }
    }

    @Test
    void sequentialAppendLikeCpBuildsTheFile() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.dir.create("/copy.img", 0644, 0, 0);
            int total = 300_001;
            for (int pos = 0; pos < total; pos += 8191) {
                fx.writePattern(fh, pos, Math.min(8191, total - pos), 6);
            }
            assertEquals(300_032, fx.dir.file(fh).size(), "size is the written end rounded up to 512");
            fx.assertPattern(fh, 0, total, 6);
            fx.assertZeros(fh, total, 31);
        }
    }

    @Test
    void writePastOnePebibyteIsEfbig() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            assertErrno(Errno.EFBIG, () -> fx.write(fh, Fixture.PIB - 1, new byte[2]));
            assertErrno(Errno.EFBIG, () -> fx.write(fh, Fixture.PIB, new byte[1]));
            assertEquals(4096, fx.dir.file(fh).size(), "a refused write leaves the size alone");
        }
    }

    @Test
    void writeEndingAtOnePebibyteGrowsThere() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, Fixture.PIB - 3, 3, 7);
            assertEquals(Fixture.PIB, fx.dir.file(fh).size());
            fx.assertPattern(fh, Fixture.PIB - 3, 3, 7);
            fx.assertZeros(fh, Fixture.PIB - SECTOR, SECTOR - 3);
        }
    }

    @Test
    void writeStampsMtimeAndCtime() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.clock.set(5_000_000_000L);
            fx.writePattern(fh, 1, 1, 1);
            DiskFile f = fx.dir.file(fh);
            assertEquals(5_000_000_000L, f.mtimeNanos());
            assertEquals(5_000_000_000L, f.ctimeNanos());
        }
    }

    @Test
    void blocksAreCommittedBytesOver512() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 1 << 20);
            DiskFile f = fx.dir.file(fh);
            assertEquals(0, f.blocks(), "blocks of an untouched disk");
            fx.writePattern(fh, 10, 1, 1);
            assertEquals(CHUNK, f.disk().committedBytes());
            assertEquals(CHUNK / 512, f.blocks(), "one chunk of memory");
            fx.writePattern(fh, 3 * CHUNK + 5, CHUNK, 1);
            assertEquals(3 * CHUNK, f.disk().committedBytes());
            assertEquals(f.disk().committedBytes() / 512, f.blocks());
            assertEquals(3L * CHUNK, fx.budget.used(), "the budget holds what the disk holds");
        }
    }

    @Test
    void fsyncIsANoOpForRam() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.writePattern(fh, 0, 4096, 1);
            fx.dir.fsync(fh);
            fx.assertPattern(fh, 0, 4096, 1);
        }
    }

    @Test
    void twoHandlesOfOneDiskSeeEachOthersWrites() throws Exception {
        try (Fixture fx = new Fixture()) {
            long a = fx.addOpen("disk0", 8192);
            long b = fx.dir.open("/disk0", O_RDWR);
            fx.writePattern(a, 100, 1000, 1);
            fx.assertPattern(b, 100, 1000, 1);
        }
    }

    @Test
    void randomUnalignedOperationsMatchAByteArrayModel() throws Exception {
        Random rnd = new Random(42);
        int max = 3 * CHUNK + 1000;
        byte[] model = new byte[0];
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 0);
            for (int step = 0; step < 600; step++) {
                int op = rnd.nextInt(10);
                if (op < 5) {
                    int pos = rnd.nextInt(max);
                    int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 700 : 20_000);
                    byte[] data = Fixture.pattern(pos, len, step);
                    fx.write(fh, pos, data);
                    int end = pos + len;
                    if (end > model.length) {
                        model = Arrays.copyOf(model, (end + SECTOR - 1) / SECTOR * SECTOR);
                    }
                    System.arraycopy(data, 0, model, pos, len);
                } else if (op < 7) {
                    int pos = rnd.nextInt(max);
                    int len = 1 + rnd.nextInt(20_000);
                    fx.dir.fallocate(fh, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, pos, len);
                    if (pos < model.length) {
                        Arrays.fill(model, pos, Math.min(model.length, pos + len), (byte) 0);
                    }
                } else if (op < 8) {
                    int size = rnd.nextInt(max / SECTOR) * SECTOR;
                    fx.dir.ftruncate(fh, size);
                    byte[] m = new byte[size];
                    System.arraycopy(model, 0, m, 0, Math.min(size, model.length));
                    model = m;
                } else {
                    int pos = rnd.nextInt(max);
                    int len = rnd.nextInt(30_000);
                    int expect = Math.max(0, Math.min(len, model.length - pos));
                    byte[] want = expect == 0 ? new byte[0] : Arrays.copyOfRange(model, pos, pos + expect);
                    assertDiskBytes(want, fx.read(fh, pos, len), pos, "step " + step + " read of " + len);
                }
                assertEquals(model.length, fx.dir.file(fh).size(), "size after step " + step);
            }
            assertDiskBytes(model, fx.read(fh, 0, model.length), 0, "whole disk at the end");
        }
    }
}

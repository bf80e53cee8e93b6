package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads in place hand over exactly the bytes a copying read returns, as runs of the disk's own
 * memory and zeros, and hold those runs still until the reader has passed them on.
 */
class ReadInPlaceTest {
    static final int SIZE = 1 << 20;
    static final int CHUNK = RamLayer.CHUNK_BYTES;

    @TempDir
    Path dir;
    final MemoryBudget budget = MemoryBudget.unlimited();
    LayeredDisk disk;

    @AfterEach
    void close() {
        disk.close();
        assertEquals(0, budget.used());
    }

    /** Copies each run into a byte array as it arrives, the way a writev would gather them. */
    static class Gather implements ReadVector {
        final byte[] out;
        int at;
        int delivered = -1;
        int runs;

        Gather(int capacity) {
            out = new byte[capacity];
        }

        @Override
        public void data(long address, long length) {
            NativeMemory.copy(null, address, out, BYTES + at, length);
            at += (int) length;
            runs++;
        }

        @Override
        public void zeros(long length) {
            at += (int) length; // the array is zero already
            runs++;
        }

        @Override
        public void deliver(int bytes) {
            delivered = bytes;
        }
    }

    /** A RAM disk with data sectors, zeroed sectors, absent chunks and partly written chunks. */
    DiskBytes mixedRamDisk(int sectorSize) throws DiskException {
        disk = LayeredDisk.of(RamLayer.create(SIZE, sectorSize, budget), false);
        DiskBytes bytes = disk.bytes();
        byte[] pattern = new byte[SIZE];
        SectorPattern.fill(pattern, 0, SIZE, 0, 7);
        bytes.write(0, pattern, BYTES, 4 * CHUNK);                     // chunks 0-3: whole
        bytes.write(6 * CHUNK + 3 * sectorSize, pattern, BYTES + 6 * CHUNK + 3 * sectorSize, 5 * sectorSize); // chunk 6: a few sectors
        bytes.write(8 * CHUNK, pattern, BYTES + 8 * CHUNK, 2 * CHUNK);
        bytes.unmap(8 * CHUNK + 2 * sectorSize, 3 * sectorSize);         // chunk 8: a hole of zeros
        bytes.unmap(9 * CHUNK, CHUNK);                                   // chunk 9: unmapped whole
        bytes.write(SIZE - CHUNK, pattern, BYTES + SIZE - CHUNK, CHUNK - 1); // last chunk: one byte short
        return bytes;
    }

    void assertSameAsCopy(DiskBytes bytes, long position, int length) throws DiskException {
        byte[] expected = new byte[length];
        int n = bytes.read(position, expected, BYTES, length);
        Gather g = new Gather(length);
        assertEquals(n, bytes.readInPlace(position, length, g), "bytes read in place at " + position + " +" + length);
        if (n > 0) {
            assertEquals(n, g.delivered, "delivered at " + position + " +" + length);
            assertEquals(n, g.at, "bytes in the runs at " + position + " +" + length);
        }
        for (int i = 0; i < n; i++) {
            if (expected[i] != g.out[i]) {
                fail("read in place at " + position + " +" + length + " differs at byte " + (position + i)
                        + ": " + g.out[i] + " where a copy reads " + expected[i]);
            }
        }
    }

    @Test
    void everyKindOfChunkReadsAsACopyWould() throws DiskException {
        for (int ss : new int[] {512, 4096}) {
            DiskBytes bytes = mixedRamDisk(ss);
            for (long pos : new long[] {0, 1, 511, 512, 4095, CHUNK - 1, 3 * CHUNK + 100, 6 * CHUNK, 6 * CHUNK + 3 * ss + 7,
                    8 * CHUNK + ss, 9 * CHUNK - 3, SIZE - CHUNK - 1, SIZE - 2}) {
                for (int len : new int[] {1, 3, 512, 513, 4096, CHUNK, CHUNK + 1, 2 * CHUNK + 517, 1 << 20}) {
                    assertSameAsCopy(bytes, pos, len);
                }
            }
            disk.close();
        }
        disk = LayeredDisk.of(RamLayer.create(0, 512, budget), false);
    }

    @Test
    void aWholeChunkOfDataIsOneRunAndAnEmptyDiskIsZeros() throws DiskException {
        DiskBytes bytes = mixedRamDisk(512);
        Gather g = new Gather(CHUNK);
        assertEquals(CHUNK, bytes.readInPlace(CHUNK, CHUNK, g));
        assertEquals(1, g.runs, "runs for one whole data chunk");

        Gather empty = new Gather(3 * CHUNK);
        assertEquals(3 * CHUNK, bytes.readInPlace(10 * CHUNK, 3 * CHUNK, empty));
        assertArrayEquals(new byte[3 * CHUNK], empty.out, "untouched chunks read as zeros");
    }

    @Test
    void atOrPastTheEndNothingIsDeliveredAndAcrossItTheReadIsShort() throws DiskException {
        DiskBytes bytes = mixedRamDisk(512);
        Gather g = new Gather(4096);
        assertEquals(0, bytes.readInPlace(SIZE, 4096, g));
        assertEquals(0, bytes.readInPlace(SIZE + 12345, 4096, g));
        assertEquals(-1, g.delivered, "nothing delivered at or past the end");
        assertEquals(100, bytes.readInPlace(SIZE - 100, 4096, g));
        assertEquals(100, g.delivered);
    }

    /**
     * A memdiff disk: RAM over a raw image. Sectors the RAM layer does not hold come from the
     * mapped image; written, zeroed and unmapped sectors from RAM; past a shrink-and-grow, zeros.
     */
    @Test
    void aRamLayerOverAnImageReadsAsACopyWould() throws Exception {
        for (int ss : new int[] {512, 4096}) {
            disk = TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base" + ss + ".img", SIZE, 3, ss));
            DiskBytes bytes = disk.bytes();
            byte[] pattern = new byte[SIZE];
            SectorPattern.fill(pattern, 0, SIZE, 0, 9);
            bytes.write(CHUNK, pattern, BYTES + CHUNK, CHUNK);                               // chunk 1: RAM, whole
            bytes.write(3 * CHUNK + 2 * ss, pattern, BYTES + 3 * CHUNK + 2 * ss, 3 * ss);    // chunk 3: RAM sectors over the image
            bytes.unmap(5 * CHUNK + ss, 4 * ss);                                             // chunk 5: zeros over the image
            bytes.unmap(7 * CHUNK, 2 * CHUNK);                                               // chunks 7-8: zeros, whole
            bytes.resize(SIZE - 2 * CHUNK);
            bytes.resize(SIZE);                                                              // the last two chunks: zeros, not image
            for (long pos : new long[] {0, 1, CHUNK - 5, 3 * CHUNK + ss - 1, 5 * CHUNK, 6 * CHUNK + 77, SIZE - 3 * CHUNK - 1, SIZE - 9}) {
                for (int len : new int[] {1, 700, 4096, CHUNK + 3, 3 * CHUNK, 1 << 20}) {
                    assertSameAsCopy(bytes, pos, len);
                }
            }
            disk.close();
        }
        disk = LayeredDisk.of(RamLayer.create(0, 512, budget), false);
    }

    @Test
    void aDiskWithAReadCacheIsNotReadInPlace() throws Exception {
        disk = TestDisks.stack(List.of(new LayerConfiguration(RamLayer.over(budget), false, true),
                LayerConfiguration.of(TestDisks.patternImage(dir, "base.img", SIZE, 0, 512))));
        Gather g = new Gather(4096);
        assertEquals(-1, disk.bytes().readInPlace(0, 4096, g));
        assertEquals(-1, g.delivered, "nothing delivered");
        assertEquals(0, g.runs, "no runs handed over");
    }

    @Test
    void badRangesAreRefusedWithTheirNumbers() throws DiskException {
        DiskBytes bytes = mixedRamDisk(512);
        DiskException e = TestDisks.assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.readInPlace(-5, 10, new Gather(10)));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
        TestDisks.assertFails(DiskError.ILLEGAL_BLOCK, () -> bytes.readInPlace(Long.MAX_VALUE - 2, 10, new Gather(10)));
    }

    /** A write to the chunks being read waits until the reader has passed the runs on. */
    @Test
    void aWriterWaitsUntilTheRunsAreDelivered() throws Exception {
        DiskBytes bytes = mixedRamDisk(512);
        CountDownLatch inDeliver = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean written = new AtomicBoolean();
        byte[] snapshot = new byte[CHUNK];
        Thread reader = new Thread(() -> {
            try {
                bytes.readInPlace(0, CHUNK, new Gather(CHUNK) {
                    long address;

                    @Override
                    public void data(long a, long length) {
                        address = a;
                        super.data(a, length);
                    }

                    @Override
                    public void deliver(int n) {
                        inDeliver.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        NativeMemory.copy(null, address, snapshot, BYTES, CHUNK); // the runs, as the kernel would copy them now
                    }
                });
            } catch (DiskException e) {
                throw new IllegalStateException(e);
            }
        });
        reader.start();
        assertTrue(inDeliver.await(10, TimeUnit.SECONDS), "the reader reached deliver");
        Thread writer = new Thread(() -> {
            try {
                bytes.write(100, new byte[4096], BYTES, 4096);
                written.set(true);
            } catch (DiskException e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        writer.join(300);
        assertFalse(written.get(), "a write to the chunk finished while its runs were being delivered");
        release.countDown();
        reader.join(10_000);
        writer.join(10_000);
        assertTrue(written.get(), "the write finished after delivery");
        byte[] before = new byte[CHUNK];
        SectorPattern.fill(before, 0, CHUNK, 0, 7);
        assertArrayEquals(before, snapshot, "the runs held the data from before the write until delivered");
    }
}

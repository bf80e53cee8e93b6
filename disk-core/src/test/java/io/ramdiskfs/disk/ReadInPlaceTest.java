package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
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

    @Test
    void aDiskWithLayersBelowIsNotReadInPlace() throws Exception {
        disk = TestDisks.stack(false, RamLayer.over(budget), TestDisks.patternImage(dir, "base.img", SIZE, 0, 512));
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

package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random operations against a plain byte array that models the disk: sector and byte
 * reads, writes, unmaps and resizes over stacks of one to three layers. Every read is compared
 * with the model, and the whole disk every few hundred operations. A failure names the stack, the
 * seed and the operation; rerun one seed with {@code -Drandomops.seed=N} (and
 * {@code -Drandomops.checkEvery=1} to stop at the first operation that goes wrong).
 *
 * <p>Model: a byte write past the end grows the disk to the next whole sector; an unmap is
 * clipped at the end; bytes past a shrink read zeros after a grow; an out-of-range sector
 * operation fails with ILLEGAL_BLOCK and changes nothing.
 */
class RandomOpsTest {
    static final int OPS = 5000;
    static final int IMAGE = 512 * 1024;
    static final int MAX_SIZE = 2 * 1024 * 1024;
    /** Operations between whole-disk checks; {@code -Drandomops.checkEvery=1} finds the first bad operation. */
    static final int CHECK_EVERY = Integer.getInteger("randomops.checkEvery", 250);

    @TempDir
    Path dir;

    enum Stack { RAM, RAM_OVER_FILE, RAM_OVER_RAM_OVER_FILE, READ_CACHE_OVER_FILE, RAM_OVER_FILE_4K }

    static Stream<Arguments> stacksAndSeeds() {
        String fixed = System.getProperty("randomops.seed");
        long[] seeds = fixed != null ? new long[] {Long.parseLong(fixed)} : new long[] {1, 2, 3, 4, 5, 0xdecafL};
        List<Arguments> all = new ArrayList<>();
        for (Stack s : Stack.values()) {
            for (long seed : seeds) {
                all.add(Arguments.of(s, seed));
            }
        }
        return all.stream();
    }

    /** The disk under test and what it should hold. */
    private final class Run {
        final Stack stack;
        final long seed;
        final Random rnd;
        final MemoryBudget budget = MemoryBudget.unlimited();
        final byte[] model = new byte[MAX_SIZE];
        final ByteBuffer direct = ByteBuffer.allocateDirect(128 * 1024);
        LayeredDisk disk;
        int ss;
        long size;
        int op;
        String what = "setup";

        Run(Stack stack, long seed) {
            this.stack = stack;
            this.seed = seed;
            this.rnd = new Random(seed);
        }

        String where() {
            return stack + ", seed " + seed + ", op #" + op + " (" + what + "), size " + size + ": ";
        }

        void build() throws Exception {
            ss = stack == Stack.RAM_OVER_FILE_4K ? 4096 : 512;
            if (stack == Stack.RAM) {
                disk = LayeredDisk.of(RamLayer.create(IMAGE, ss, budget), false);
                size = IMAGE;
                return;
            }
            byte[] image = new byte[IMAGE];
            FileLayer file = FileLayer.open(TestDisks.randomImage(dir, "image-" + seed + ".img", image, seed), ss);
            System.arraycopy(image, 0, model, 0, IMAGE);
            size = IMAGE;
            List<LayerConfiguration> layers = new ArrayList<>();
            layers.add(new LayerConfiguration(RamLayer.over(budget), false, stack == Stack.READ_CACHE_OVER_FILE));
            if (stack == Stack.RAM_OVER_RAM_OVER_FILE) {
                RamLayer middle = (RamLayer) RamLayer.over(budget).attach(file);
                for (int i = 0; i < 40; i++) {
                    int sector = rnd.nextInt(IMAGE / ss);
                    int count = 1 + rnd.nextInt(Math.min(300, IMAGE / ss - sector));
                    if (rnd.nextInt(4) == 0) {
                        middle.unmap(sector, count, file.sectorCount());
                        Arrays.fill(model, sector * ss, (sector + count) * ss, (byte) 0);
                    } else {
                        byte[] data = new byte[count * ss];
                        rnd.nextBytes(data);
                        middle.write(data, BYTES, sector, count, false);
                        System.arraycopy(data, 0, model, sector * ss, data.length);
                    }
                }
                layers.add(LayerConfiguration.of(middle));
            }
            layers.add(LayerConfiguration.of(file));
            disk = LayeredDisk.create(false, layers);
        }

        void compareAll() throws DiskException {
            byte[] all = new byte[(int) size];
            int n = disk.bytes().read(0, all, BYTES, all.length);
            assertEquals(size, n, () -> where() + "whole-disk read");
            String m = SectorPattern.mismatch(all, 0, model, 0, all.length, 0, ss);
            if (m != null) {
                fail(where() + "whole disk: " + m);
            }
            assertEquals(size, disk.sizeBytes(), () -> where() + "size");
        }

        void compare(byte[] got, int index, long diskOffset, int length) {
            if (length == 0) {
                return;
            }
            String m = SectorPattern.mismatch(got, index, model, (int) diskOffset, length, diskOffset, ss);
            if (m != null) {
                fail(where() + m);
            }
        }

        int length(int max) {
            return switch (rnd.nextInt(4)) {
                case 0 -> 1 + rnd.nextInt(16);
                case 1 -> ss * (1 + rnd.nextInt(4));
                default -> 1 + rnd.nextInt(max);
            };
        }

        long position() {
            return switch (rnd.nextInt(4)) {
                case 0 -> (long) rnd.nextInt((int) (size / ss) + 2) * ss;
                case 1 -> Math.max(0, size - rnd.nextInt(2 * ss));
                default -> rnd.nextLong(size + 2048);
            };
        }

        void setSize(long newSize) {
            if (newSize > MAX_SIZE) {
                throw new IllegalStateException(where() + "test bug: size " + newSize);
            }
            if (newSize < size) {
                Arrays.fill(model, (int) newSize, (int) size, (byte) 0);
            }
            size = newSize;
        }

        void step() throws DiskException {
            int dice = rnd.nextInt(100);
            if (dice < 22) {
                byteRead();
            } else if (dice < 42) {
                byteWrite();
            } else if (dice < 50) {
                byteUnmap();
            } else if (dice < 53) {
                byteResize();
            } else if (dice < 68) {
                sectorRead();
            } else if (dice < 86) {
                sectorWrite();
            } else if (dice < 95) {
                sectorUnmap();
            } else if (dice < 97) {
                disk.flush();
            } else {
                what = "growTo";
                long target = rnd.nextLong(MAX_SIZE - ss);
                disk.bytes().growTo(target);
                if (target > size) {
                    setSize((target + ss - 1) / ss * ss);
                }
            }
        }

        void byteRead() throws DiskException {
            long pos = position();
            int len = length(64 * 1024);
            what = "byte read [" + pos + ", +" + len + ")";
            int expected = pos >= size ? 0 : (int) Math.min(len, size - pos);
            int n;
            byte[] got = new byte[len];
            if (len <= direct.capacity() && rnd.nextBoolean()) {
                n = disk.bytes().read(pos, null, NativeMemory.offsetOf(direct), len);
                direct.get(0, got, 0, len);
            } else {
                n = disk.bytes().read(pos, got, BYTES, len);
            }
            assertEquals(expected, n, () -> where() + "bytes read");
            compare(got, 0, pos, n);
        }

        void byteWrite() throws DiskException {
            int len = length(32 * 1024);
            long pos = Math.min(position() + (rnd.nextInt(8) == 0 ? rnd.nextInt(64 * 1024) : 0), MAX_SIZE - ss - len);
            what = "byte write [" + pos + ", +" + len + ")";
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            assertEquals(len, disk.bytes().write(pos, data, BYTES, len), () -> where() + "bytes written");
            if (pos + len > size) {
                setSize((pos + len + ss - 1) / ss * ss);
            }
            System.arraycopy(data, 0, model, (int) pos, len);
        }

        void byteUnmap() throws DiskException {
            long pos = position();
            long len = rnd.nextInt(10) == 0 ? 1L << 40 : length(96 * 1024);
            what = "byte unmap [" + pos + ", +" + len + ")";
            disk.bytes().unmap(pos, len);
            if (pos < size) {
                Arrays.fill(model, (int) pos, (int) Math.min(size, pos + len), (byte) 0);
            }
        }

        void byteResize() throws DiskException {
            long newSize = rnd.nextInt(3) == 0 ? Math.min(MAX_SIZE, size + (long) ss * rnd.nextInt(64))
                    : (long) ss * rnd.nextInt(MAX_SIZE / ss);
            what = "resize to " + newSize;
            disk.bytes().resize(newSize);
            setSize(newSize);
        }

        long sector() {
            long sc = size / ss;
            return switch (rnd.nextInt(10)) {
                case 0 -> sc - rnd.nextInt(3);
                case 1 -> sc + rnd.nextInt(3);
                case 2 -> new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 3}[rnd.nextInt(4)];
                default -> rnd.nextLong(sc + 1);
            };
        }

        int count() {
            return switch (rnd.nextInt(10)) {
                case 0 -> 0;
                case 1 -> new int[] {-1, Integer.MAX_VALUE, Integer.MIN_VALUE}[rnd.nextInt(3)];
                default -> 1 + rnd.nextInt(128 * 512 / ss);
            };
        }

        boolean inRange(long sector, long count) {
            long sc = size / ss;
            return sector >= 0 && count >= 0 && sector <= sc && count <= sc - sector;
        }

        /** Runs a sector operation that must succeed in range and fail with ILLEGAL_BLOCK outside. */
        boolean sectorOp(long sector, long count, Ops.Op body) throws DiskException {
            boolean ok = inRange(sector, count);
            try {
                body.run();
            } catch (DiskException e) {
                if (ok || (count != 0 && e.error() != DiskError.ILLEGAL_BLOCK)) {
                    throw new AssertionError(where() + "unexpected " + e, e);
                }
                if (e.error() != DiskError.ILLEGAL_BLOCK) {
                    throw new AssertionError(where() + "zero-length request failed with " + e, e);
                }
                return false;
            }
            if (!ok && count != 0) {
                fail(where() + "an out-of-range request succeeded");
            }
            return ok;
        }

        void sectorRead() throws DiskException {
            long sector = sector();
            int count = count();
            what = "read [" + sector + ", +" + count + ")";
            byte[] got = new byte[inRange(sector, count) ? count * ss : ss];
            if (sectorOp(sector, count, () -> disk.read(got, BYTES, sector, count))) {
                compare(got, 0, sector * ss, count * ss);
            }
        }

        void sectorWrite() throws DiskException {
            long sector = sector();
            int count = count();
            what = "write [" + sector + ", +" + count + ")";
            boolean ok = inRange(sector, count);
            byte[] data = new byte[ok ? count * ss : ss];
            rnd.nextBytes(data);
            if (sectorOp(sector, count, () -> disk.write(data, BYTES, sector, count, rnd.nextBoolean()))) {
                System.arraycopy(data, 0, model, (int) (sector * ss), count * ss);
            } else {
                compareAll();
            }
        }

        void sectorUnmap() throws DiskException {
            long sector = sector();
            long count = rnd.nextInt(10) == 0 ? Long.MAX_VALUE : count();
            what = "unmap [" + sector + ", +" + count + ")";
            if (sectorOp(sector, count, () -> disk.unmap(sector, count))) {
                Arrays.fill(model, (int) (sector * ss), (int) ((sector + count) * ss), (byte) 0);
            }
        }
    }

    /** Holder of the functional interface, so that lambdas may throw DiskException. */
    static final class Ops {
        @FunctionalInterface
        interface Op {
            void run() throws DiskException;
        }
    }

    @ParameterizedTest(name = "{0}, seed {1}")
    @MethodSource("stacksAndSeeds")
    void randomOperationsMatchAPlainArray(Stack stack, long seed) throws Exception {
        Run run = new Run(stack, seed);
        run.build();
        try {
            run.compareAll();
            for (run.op = 0; run.op < OPS; run.op++) {
                run.step();
                if (run.op % CHECK_EVERY == CHECK_EVERY - 1) {
                    run.what = "check after " + run.what;
                    run.compareAll();
                }
            }
            run.what = "final check";
            run.compareAll();
        } catch (DiskException e) {
            throw new AssertionError(run.where() + e, e);
        } finally {
            run.disk.close();
        }
        assertEquals(0, run.budget.used(), () -> run.where() + "memory left after close");
    }
}

package io.ramdiskfs.disk.bench;

import io.ramdiskfs.disk.DiskBytes;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerConfiguration;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.SectorPattern;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.ram.ChunkAllocator;
import io.ramdiskfs.disk.ram.RamLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The disk-core data path in-process, on one thread, as the FUSE side drives it:
 * {@link DiskBytes#read}/{@link DiskBytes#write} with {@code base == null} and the address of a
 * native buffer. Disks are 1 GiB; read benchmarks read data that is there (a pre-filled RAM disk;
 * over an image, sectors the RAM layer does not hold, so every read falls through to the file).
 *
 * <ul>
 *   <li>{@code copy*}: a plain direct-to-direct {@link ByteBuffer} copy of the same size, at the
 *       same positions of a 1 GiB direct buffer: the in-process limit.
 *   <li>{@code ram*}: one RAM layer, its chunks page-aligned as fuse-mount's mmap arenas give
 *       them ({@link ArenaChunkAllocator}); {@code malloc*}: the same with
 *       {@link ChunkAllocator#MALLOC}, whose chunks are not page-aligned.
 *   <li>{@code *Hot*}: random 4 KiB within the first 1 MiB, which stays in the CPU caches: the
 *       cost of the path itself, without the memory traffic.
 *   <li>{@code file*}: a RAM layer over a 1 GiB raw image.
 * </ul>
 *
 * <p>Run with {@code bench/jmh-core.sh}. The image lives in {@code -Dramdiskfs.bench.dir}
 * (default: the temp directory) and is made on first use.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:MaxDirectMemorySize=4g"})
public class DiskCoreBenchmark {
    public static final long DISK = 1L << 30;
    public static final int SMALL = 4096;
    public static final int LARGE = 1 << 20;
    static final int SECTOR = 512;
    /** The span of the cache-resident ("hot") variant: what the path costs beyond the memory traffic. */
    static final int HOT = 1 << 20;

    /** Per-thread buffers and positions; the native buffers stand for FUSE's request buffers. */
    @State(Scope.Thread)
    public static class Io {
        ByteBuffer small;
        ByteBuffer large;
        long smallAddress;
        long largeAddress;
        long random = 0x9E3779B97F4A7C15L;
        long sequential;

        @Setup(Level.Trial)
        public void setup() {
            small = ByteBuffer.allocateDirect(SMALL);
            large = ByteBuffer.allocateDirect(LARGE);
            SectorPattern.fill(small, 0, 7);
            SectorPattern.fill(large, 0, 7);
            smallAddress = NativeMemory.offsetOf(small);
            largeAddress = NativeMemory.offsetOf(large);
        }

        /** A random 4 KiB-aligned offset in the disk (xorshift: no allocation, no contention). */
        long nextRandom() {
            long x = random;
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            random = x;
            return (x >>> 1) % (DISK / SMALL) * SMALL;
        }

        /** A random 4 KiB-aligned offset in the first 1 MiB: data that stays in the CPU caches. */
        long nextHot() {
            return nextRandom() & (HOT - 1);
        }

        /** The next 1 MiB of a sequential pass, wrapping at the end. */
        long nextSequential() {
            long p = sequential;
            sequential = (p + LARGE) & (DISK - 1);
            return p;
        }
    }

    /** A 1 GiB direct buffer: the baseline's "disk". */
    @State(Scope.Benchmark)
    public static class Plain {
        ByteBuffer memory;

        @Setup(Level.Trial)
        public void setup() {
            memory = ByteBuffer.allocateDirect((int) Math.min(Integer.MAX_VALUE, DISK));
            byte[] block = SectorPattern.bytes(0, LARGE, 1);
            for (int p = 0; p + LARGE <= memory.capacity(); p += LARGE) {
                memory.put(p, block);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            NativeMemory.release(memory);
        }
    }

    /** One RAM layer of 1 GiB, every byte written, chunks page-aligned as a mount has them. */
    @State(Scope.Benchmark)
    public static class Ram {
        final ArenaChunkAllocator allocator = new ArenaChunkAllocator();
        LayeredDisk disk;
        DiskBytes bytes;

        @Setup(Level.Trial)
        public void setup() throws DiskException {
            disk = LayeredDisk.of(RamLayer.create(DISK, SECTOR, MemoryBudget.unlimited(), allocator), false);
            bytes = disk.bytes();
            fill(disk);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            disk.close();
            allocator.close();
        }
    }

    /** The same with chunks from {@code malloc} ({@link ChunkAllocator#MALLOC}, the default). */
    @State(Scope.Benchmark)
    public static class RamMalloc {
        LayeredDisk disk;
        DiskBytes bytes;

        @Setup(Level.Trial)
        public void setup() throws DiskException {
            disk = LayeredDisk.of(RamLayer.create(DISK, SECTOR, MemoryBudget.unlimited(), ChunkAllocator.MALLOC), false);
            bytes = disk.bytes();
            fill(disk);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            disk.close();
        }
    }

    /** An empty RAM layer over a 1 GiB raw image: reads fall through to the image, writes land in RAM. */
    @State(Scope.Benchmark)
    public static class RamOverFile {
        final ArenaChunkAllocator allocator = new ArenaChunkAllocator();
        LayeredDisk disk;
        DiskBytes bytes;

        @Setup(Level.Trial)
        public void setup() throws IOException, DiskException {
            FileLayer image = FileLayer.open(image(), SECTOR);
            disk = LayeredDisk.create(false, List.of(LayerConfiguration.of(RamLayer.over(MemoryBudget.unlimited(), allocator)),
                    LayerConfiguration.of(image)));
            bytes = disk.bytes();
            // Bring the image into the page cache once, as a long-running mount would have it.
            ByteBuffer b = ByteBuffer.allocateDirect(LARGE);
            for (long p = 0; p < DISK; p += LARGE) {
                bytes.read(p, null, NativeMemory.offsetOf(b), LARGE);
            }
            NativeMemory.release(b);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            disk.close();
            allocator.close();
        }
    }

    /** The 1 GiB pattern image, made once and reused by later runs. */
    public static Path image() throws IOException {
        Path dir = Path.of(System.getProperty("ramdiskfs.bench.dir", System.getProperty("java.io.tmpdir")));
        Path image = dir.resolve("ramdiskfs-bench-1g.img");
        if (!Files.isRegularFile(image) || Files.size(image) != DISK) {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("ramdiskfs-bench-1g.img.tmp");
            SectorPattern.writeImage(tmp, DISK, 1);
            Files.move(tmp, image, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return image;
    }

    /** Writes pattern generation 1 over the whole disk, 1 MiB at a time. */
    public static void fill(LayeredDisk disk) throws DiskException {
        ByteBuffer b = ByteBuffer.allocateDirect(LARGE);
        long address = NativeMemory.offsetOf(b);
        for (long p = 0; p < disk.sizeBytes(); p += LARGE) {
            SectorPattern.fill(b, p, 1);
            disk.bytes().write(p, null, address, LARGE);
        }
        NativeMemory.release(b);
    }

    // ------------------------------------------------------------------ the in-process limit

    @Benchmark
    public void copyRandomRead4k(Plain plain, Io io) {
        io.small.put(0, plain.memory, (int) io.nextRandom(), SMALL);
    }

    @Benchmark
    public void copyHotRead4k(Plain plain, Io io) {
        io.small.put(0, plain.memory, (int) io.nextHot(), SMALL);
    }

    @Benchmark
    public void copyHotWrite4k(Plain plain, Io io) {
        plain.memory.put((int) io.nextHot(), io.small, 0, SMALL);
    }

    @Benchmark
    public void copyRandomWrite4k(Plain plain, Io io) {
        plain.memory.put((int) io.nextRandom(), io.small, 0, SMALL);
    }

    @Benchmark
    public void copySequentialRead1m(Plain plain, Io io) {
        io.large.put(0, plain.memory, (int) io.nextSequential(), LARGE);
    }

    @Benchmark
    public void copySequentialWrite1m(Plain plain, Io io) {
        plain.memory.put((int) io.nextSequential(), io.large, 0, LARGE);
    }

    // ------------------------------------------------------------------ one RAM layer

    @Benchmark
    public int ramRandomRead4k(Ram ram, Io io) throws DiskException {
        return ram.bytes.read(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int ramHotRead4k(Ram ram, Io io) throws DiskException {
        return ram.bytes.read(io.nextHot(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int ramHotWrite4k(Ram ram, Io io) throws DiskException {
        return ram.bytes.write(io.nextHot(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int ramRandomWrite4k(Ram ram, Io io) throws DiskException {
        return ram.bytes.write(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int ramSequentialRead1m(Ram ram, Io io) throws DiskException {
        return ram.bytes.read(io.nextSequential(), null, io.largeAddress, LARGE);
    }

    @Benchmark
    public int ramSequentialWrite1m(Ram ram, Io io) throws DiskException {
        return ram.bytes.write(io.nextSequential(), null, io.largeAddress, LARGE);
    }

    // ------------------------------------------------------------------ one RAM layer, malloc'ed chunks

    @Benchmark
    public int mallocRandomRead4k(RamMalloc ram, Io io) throws DiskException {
        return ram.bytes.read(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int mallocRandomWrite4k(RamMalloc ram, Io io) throws DiskException {
        return ram.bytes.write(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    // ------------------------------------------------------------------ RAM over a raw image

    @Benchmark
    public int fileRandomRead4k(RamOverFile disk, Io io) throws DiskException {
        return disk.bytes.read(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int fileRandomWrite4k(RamOverFile disk, Io io) throws DiskException {
        return disk.bytes.write(io.nextRandom(), null, io.smallAddress, SMALL);
    }

    @Benchmark
    public int fileSequentialRead1m(RamOverFile disk, Io io) throws DiskException {
        return disk.bytes.read(io.nextSequential(), null, io.largeAddress, LARGE);
    }

    @Benchmark
    public int fileSequentialWrite1m(RamOverFile disk, Io io) throws DiskException {
        return disk.bytes.write(io.nextSequential(), null, io.largeAddress, LARGE);
    }
}

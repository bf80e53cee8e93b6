package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.ForwardingLayer;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default mount serves files with {@code direct_io} and amends open replies with
 * {@code FOPEN_PARALLEL_DIRECT_WRITES}: writes to one disk reach the filesystem concurrently, and
 * nothing is cached twice. {@code --page-cache} gives shared {@code mmap} back.
 */
@RequiresFuse
class DirectIoIT {
    private static final int WRITERS = 2;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void twoWritersOfOneDiskAreInsideTheFilesystemAtTheSameTime() throws Exception {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", MiB));
        Rendezvous layer = new Rendezvous(RamLayer.create(8 * MiB, 512, new MemoryBudget(64 * MiB)), WRITERS, 10_000);
        fs.directory().add("meeting", LayeredDisk.of(layer, false), 0, 0);

        writeConcurrently(fs.mountPoint().resolve("meeting"));

        assertEquals(WRITERS, layer.peak.get(), "writers inside the filesystem at once (1 = the kernel serialized them)");
    }

    @Test
    void withThePageCacheTheKernelSendsOneWriteAtATime() throws Exception {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", MiB)).withPageCache(true));
        Rendezvous layer = new Rendezvous(RamLayer.create(8 * MiB, 512, new MemoryBudget(64 * MiB)), WRITERS, 1_500);
        fs.directory().add("meeting", LayeredDisk.of(layer, false), 0, 0);

        writeConcurrently(fs.mountPoint().resolve("meeting"));

        assertEquals(1, layer.peak.get(), "the control: cached writes hold the inode lock, so the check above can fail");
    }

    @Test
    void sharedMmapIsRefusedUnderDirectIoAndWorksWithThePageCache() throws Exception {
        RamDiskFs direct = disks.mount(DiskDefinition.ram("disk0", MiB));
        try (FileChannel ch = FileChannel.open(direct.mountPoint().resolve("disk0"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            if (MountedDisks.passthroughLane()) {
                // The fast lane maps the disk's tmpfs file itself: shared mmap works there too.
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
                map.put(0, (byte) 7);
                map.force();
                unmap(map);
            } else {
                IOException e = assertThrows(IOException.class, () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096));
                assertTrue(String.valueOf(e.getMessage()).contains("No such device"), "message: " + e.getMessage());
            }
        }

        RamDiskFs cached = disks.mount(disks.options(DiskDefinition.ram("disk1", MiB)).withPageCache(true));
        Path disk = cached.mountPoint().resolve("disk1");
        byte[] pattern = "written through a shared mapping".getBytes();
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 4096, 4096);
            map.put(pattern);
            map.force();
            unmap(map); // else the mapping keeps the mount busy until a garbage collection
        }
        byte[] back = new byte[pattern.length];
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(back), 4096);
        }
        assertArrayEquals(pattern, back, "bytes read back after writing through the mapping");
    }

    private static void unmap(MappedByteBuffer map) throws ReflectiveOperationException {
        var f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        ((sun.misc.Unsafe) f.get(null)).invokeCleaner(map);
    }

    /** Each writer opens the disk itself and writes its own 64 KiB, then everything is read back. */
    private static void writeConcurrently(Path disk) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
                        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                        while (b.hasRemaining()) {
                            b.put((byte) (writer + 1));
                        }
                        b.flip();
                        ch.write(b, writer * 128L * 1024);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
            for (int w = 0; w < WRITERS; w++) {
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                ch.read(b, w * 128L * 1024);
                for (int i = 0; i < b.capacity(); i++) {
                    if (b.get(i) != (byte) (w + 1)) {
                        throw new AssertionError("writer " + w + ": at byte " + (w * 128L * 1024 + i) + " got " + b.get(i)
                                + ", wrote " + (w + 1));
                    }
                }
            }
        }
    }

    /**
     * A RAM layer whose writes wait, up to a deadline, until {@code parties} writes are inside at
     * once, and remember the most that ever were. Serialized writes each wait out the deadline.
     */
    static final class Rendezvous extends ForwardingLayer {
        final AtomicInteger peak = new AtomicInteger();
        private final AtomicInteger inside = new AtomicInteger();
        private final int parties;
        private final long waitMillis;

        Rendezvous(LayerIo ram, int parties, long waitMillis) {
            super(ram);
            this.parties = parties;
            this.waitMillis = waitMillis;
        }

        @Override
        public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
            int now = inside.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            try {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
                while (peak.get() < parties && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    Thread.yield();
                }
                super.write(base, offset, sector, count, fua);
            } finally {
                inside.decrementAndGet();
            }
        }
    }
}

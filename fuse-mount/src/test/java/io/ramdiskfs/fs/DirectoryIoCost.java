package io.ramdiskfs.fs;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ram.RamLayer;
import java.util.SplittableRandom;

/**
 * 4 KiB random reads and writes straight through {@link DiskDirectory}, no FUSE: the whole
 * request is then 1-2 µs instead of 10-40 µs, so what the status counters cost shows about
 * ten times larger than through a mount. Run twice, with and without
 * {@code -Dramdiskfs.stats=false}, alternating (bench/ab.sh does the same through FUSE):
 * {@code java [-Dramdiskfs.stats=false] -cp ... io.ramdiskfs.fs.DirectoryIoCost [SECONDS]}.
 */
public final class DirectoryIoCost {
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        MemoryBudget budget = MemoryBudget.unlimited();
        DiskDirectory dir = new DiskDirectory(() -> LayeredDisk.of(RamLayer.create(0, 512, budget), false), budget, false,
                DiskDirectory::wallClockNanos);
        long size = 256L << 20;
        dir.add("d", LayeredDisk.of(RamLayer.create(size, 512, budget), false), 0, 0);
        long fh = dir.open("/d", 2);
        long buf = NativeMemory.allocate(4096);
        for (long off = 0; off < size; off += 4096) {
            dir.write(fh, off, null, buf, 4096);
        }
        SplittableRandom r = new SplittableRandom(42);
        long blocks = size / 4096;
        for (String op : new String[] {"warmup-read", "warmup-write", "read", "write"}) {
            boolean write = op.endsWith("write");
            long n = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9 / (op.startsWith("warmup") ? 2 : 1));
            while (true) {
                for (int i = 0; i < 1024; i++) {
                    long off = r.nextLong(blocks) * 4096;
                    if (write) {
                        dir.write(fh, off, null, buf, 4096);
                    } else {
                        dir.read(fh, off, null, buf, 4096);
                    }
                }
                n += 1024;
                if (System.nanoTime() > end) {
                    break;
                }
            }
            if (!op.startsWith("warmup")) {
                System.out.printf("%s stats=%s %.0f ops/s%n", op, System.getProperty("ramdiskfs.stats", "true"), n / seconds);
            }
        }
    }
}

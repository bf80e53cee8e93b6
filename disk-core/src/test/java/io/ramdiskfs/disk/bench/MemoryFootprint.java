package io.ramdiskfs.disk.bench;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * What a fully written RAM disk costs: data memory (committed bytes, what the budget is charged)
 * against the disk size, and the Java heap its chunk bookkeeping takes (heap in use after a full
 * collection, before and after the disk is written). Run by {@code bench/jmh-core.sh}.
 *
 * <p>Usage: {@code MemoryFootprint [sizeMiB]} (default 1024).
 */
public final class MemoryFootprint {
    private MemoryFootprint() {}

    public static void main(String[] args) throws DiskException {
        long size = (args.length > 0 ? Long.parseLong(args[0]) : 1024) << 20;
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        MemoryBudget budget = MemoryBudget.unlimited();
        long heapBefore = settledHeap(mx);
        LayeredDisk disk = LayeredDisk.of(RamLayer.create(size, 512, budget), false);
        long heapEmpty = settledHeap(mx);
        DiskCoreBenchmark.fill(disk);
        long heapFull = settledHeap(mx);
        long committed = disk.committedBytes();
        long chunks = committed / RamLayer.CHUNK_BYTES;
        System.out.printf("disk size                 %,d bytes%n", size);
        System.out.printf("committed (data memory)   %,d bytes = %.3f%% of the disk size%n", committed, 100.0 * committed / size);
        System.out.printf("budget used               %,d bytes%n", budget.used());
        System.out.printf("heap, empty disk          %,d bytes%n", heapEmpty - heapBefore);
        System.out.printf("heap, bookkeeping written %,d bytes = %.3f%% of the data, %.0f bytes per %d KiB chunk (%,d chunks)%n",
                heapFull - heapEmpty, 100.0 * (heapFull - heapEmpty) / committed, (double) (heapFull - heapEmpty) / chunks,
                RamLayer.CHUNK_BYTES >> 10, chunks);
        disk.bytes().unmap(0, disk.sizeBytes());
        System.out.printf("after unmapping all       committed %,d, budget used %,d%n", disk.committedBytes(), budget.used());
        disk.close();
    }

    private static long settledHeap(MemoryMXBean mx) {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}

package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.stats.DiskIo;
import java.util.concurrent.atomic.AtomicInteger;

/** A RAM disk as a door sees it, counting its holds, for tests without a mount. */
final class TestDisk implements ServedDisk {
    private static long nextId = 1;
    final long id = nextId++;
    volatile String name;
    final LayeredDisk disk;
    final DiskIo io = new DiskIo();
    final AtomicInteger writingHolds = new AtomicInteger();
    final AtomicInteger holds = new AtomicInteger();
    volatile int mode = 0644;

    TestDisk(String name, long sizeBytes, int sectorSize, boolean readOnly) {
        this(name, sizeBytes, sectorSize, readOnly, MemoryBudget.unlimited());
    }

    TestDisk(String name, long sizeBytes, int sectorSize, boolean readOnly, MemoryBudget budget) {
        this.name = name;
        this.disk = LayeredDisk.of(RamLayer.create(sizeBytes, sectorSize, budget), readOnly);
    }

    TestDisk(String name, long sizeBytes) {
        this(name, sizeBytes, 512, false);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public LayeredDisk disk() {
        return disk;
    }

    @Override
    public DiskIo io() {
        return io;
    }

    @Override
    public int mode() {
        return mode;
    }

    @Override
    public int uid() {
        return 0;
    }

    @Override
    public int gid() {
        return 0;
    }

    @Override
    public DiskHold hold(String holder, boolean writing) throws FsException {
        if (writing && disk.isReadOnly()) {
            throw new FsException(Errno.EROFS, name + " is read-only");
        }
        holds.incrementAndGet();
        if (writing) {
            writingHolds.incrementAndGet();
        }
        boolean[] closed = {false};
        return () -> {
            synchronized (closed) {
                if (closed[0]) {
                    return;
                }
                closed[0] = true;
            }
            holds.decrementAndGet();
            if (writing) {
                writingHolds.decrementAndGet();
            }
        };
    }
}

package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.SectorRun;
import org.junit.jupiter.api.Test;

/**
 * SEEK_DATA / SEEK_HOLE of a passthrough disk come from its shmem file (here a memfd, the same
 * shmem code as the private tmpfs, and no privileges needed): what was written is data, the rest
 * and punched ranges are holes, in sectors.
 */
class BackingFileHolesTest {
    static final int SS = 512;

    private static String describe(BackingFileLayer layer, long limit) {
        StringBuilder sb = new StringBuilder();
        SectorRun run = new SectorRun();
        for (long s = 0; s < limit; s = run.end) {
            layer.run(s, limit, run);
            sb.append(run.state == SectorRun.DATA ? "D" : "Z").append(s).append('-').append(run.end).append(' ');
        }
        return sb.toString().trim();
    }

    @Test
    void writtenRangesAreDataAndTheRestHoles() throws Exception {
        Libc libc = Libc.get();
        int fd = libc.memfd_create("ramdiskfs-holes-test", 0);
        assertTrue(fd >= 0, "memfd_create");
        long buf = NativeMemory.allocate(8192);
        try (BackingFileLayer layer = new BackingFileLayer(fd, SS, false)) {
            assertEquals(0, libc.ftruncate(fd, 1 << 20));
            long sectors = (1 << 20) / SS;
            assertEquals("Z0-" + sectors, describe(layer, sectors), "an empty file is one hole");

            NativeMemory.zero(null, buf, 8192);
            NativeMemory.putLong(buf, 42);
            assertEquals(4096, libc.pwrite(fd, buf, 4096, 64 * 1024));
            assertEquals(8192, libc.pwrite(fd, buf, 8192, 512 * 1024));
            assertEquals("Z0-128 D128-136 Z136-1024 D1024-1040 Z1040-" + sectors, describe(layer, sectors));

            assertEquals(0, libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 512 * 1024, 4096));
            assertEquals("Z0-128 D128-136 Z136-1032 D1032-1040 Z1040-" + sectors, describe(layer, sectors),
                    "a punched page is a hole again");
            assertEquals("D130-132", describe2(layer, 130, 132), "a run starting inside data, cut at the limit");
        } finally {
            NativeMemory.free(buf);
        }
    }

    private static String describe2(BackingFileLayer layer, long from, long limit) {
        SectorRun run = new SectorRun();
        layer.run(from, limit, run);
        return (run.state == SectorRun.DATA ? "D" : "Z") + from + "-" + run.end;
    }
}

package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The libfuse options a mount gets: each is a measured choice (docs/performance.md). */
class FuseArgumentsTest {
    private static final Path MP = Path.of("/mnt/rd");
    private static final DiskDefinition RAM = DiskDefinition.ram("disk0", 1 << 20);

    private static List<String> options(MountOptions o) {
        List<String> args = RamDiskFs.fuseArguments(o);
        assertEquals("-o", args.get(0));
        return Arrays.asList(args.get(1).split(","));
    }

    @Test
    void aRamMountIsServedWithDirectIoAndBigRequests() {
        List<String> o = options(MountOptions.of(MP, List.of(RAM)));
        assertTrue(o.containsAll(List.of("big_writes", "max_write=131072", "max_read=1048576", "default_permissions",
                "direct_io")), o.toString());
        assertFalse(o.contains("splice_write"), "no image to splice from: " + o);
        assertTrue(RamDiskFs.parallelWrites(MountOptions.of(MP, List.of(RAM))));
    }

    @Test
    void thePageCacheDropsDirectIoAndParallelWrites() {
        MountOptions cached = MountOptions.of(MP, List.of(RAM)).withPageCache(true);
        assertFalse(options(cached).contains("direct_io"), options(cached).toString());
        assertFalse(RamDiskFs.parallelWrites(cached), "parallel writes need direct_io");
    }

    @Test
    void aMemdiffDiskBringsSpliceWrite() {
        MountOptions o = MountOptions.of(MP, List.of(RAM, DiskDefinition.memdiff("vm", Path.of("/images/base.raw"))));
        assertTrue(options(o).contains("splice_write"), options(o).toString());
        assertTrue(RamDiskFs.imageReads(o));
    }

    @Test
    void readOnlyAndAllowOtherAreAppended() {
        List<String> o = options(MountOptions.of(MP, List.of(RAM)).withReadOnly(true).withAllowOther(true));
        assertTrue(o.containsAll(List.of("ro", "allow_other")), o.toString());
    }
}

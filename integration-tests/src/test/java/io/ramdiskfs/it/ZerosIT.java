package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zeros cost nothing, through a real mount: {@code dd if=/dev/zero} (direct and buffered) over a
 * disk's data gives its memory back and over a memdiff disk hides the image without memory;
 * {@code cp --sparse=never} of a mostly empty 10 GiB disk holds only the data, under a budget far
 * smaller than the copy. RAM disks only: a passthrough disk's tmpfs stores zeros as tmpfs does.
 */
@RequiresFuse(tools = {"dd", "cmp", "cp", "getfattr", "du"})
class ZerosIT {
    static final long GiB = 1024 * MiB;
    static final long DATA = 64 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane();

    @TempDir
    Path tmp;

    RamDiskFs mount(long memoryLimit, DiskDefinition... d) {
        return disks.mount(disks.options(d).withMemoryLimit(memoryLimit));
    }

    @Test
    void ddOfZerosOverDataDirectAndBufferedLeavesNoMemory() {
        RamDiskFs fs = mount(1 * GiB, DiskDefinition.ram("disk0", 256 * MiB));
        Path disk = fs.mountPoint().resolve("disk0");
        Path content = Data.random(tmp.resolve("content"), DATA, 241);
        for (String flag : List.of("oflag=direct", "conv=fsync")) {
            Tools.dd("if=" + content, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
            assertEquals(DATA, Tools.committedBytes(disk), "after writing " + DATA + " bytes of data");
            Tools.dd("if=/dev/zero", "of=" + disk, "bs=1M", "count=" + DATA / MiB, "conv=notrunc", flag).assertOk();
            Tools.cmpZeros(disk, 0, DATA);
            long committed = Tools.committedBytes(disk);
            assertTrue(committed <= MiB, "dd " + flag + " of zeros over " + DATA + " bytes of data leaves " + committed
                    + " bytes committed");
            assertTrue(Tools.du(disk) <= MiB, "du " + Tools.du(disk));
        }
        assertTrue(Tools.getfattr(fs.mountPoint()).toString().contains("zero_bytes"),
                "the mount's status names the zero bytes: " + Tools.getfattr(fs.mountPoint()));
    }

    @Test
    void ddOfZerosOverAMemdiffDiskReadsZerosWithoutMemoryAndTheImageStays() {
        Path image = Data.random(tmp.resolve("base.raw"), DATA, 242);
        String before = Data.sha256(image);
        RamDiskFs fs = mount(1 * GiB, DiskDefinition.memdiff("vm", image));
        Path vm = fs.mountPoint().resolve("vm");
        Tools.dd("if=/dev/zero", "of=" + vm, "bs=1M", "count=" + DATA / MiB / 2, "conv=notrunc", "oflag=direct").assertOk();
        Tools.dd("if=/dev/zero", "of=" + vm, "bs=1M", "seek=" + DATA / MiB / 2, "count=" + DATA / MiB / 2, "conv=notrunc,fsync")
                .assertOk();
        Tools.cmpZeros(vm, 0, DATA);
        long committed = Tools.committedBytes(vm);
        assertTrue(committed <= MiB, "zeros over the image take " + committed + " bytes");
        Cmd.ok("sync");
        assertEquals(before, Data.sha256(image), "the image changed");
    }

    @Test
    void cpSparseNeverOfATenGibDiskHoldingSixtyFourMibHoldsOnlyTheData() {
        // The budget is far below the copy's size: zeros must not be refused.
        RamDiskFs fs = mount(512 * MiB, DiskDefinition.ram("big", 10 * GiB));
        Path big = fs.mountPoint().resolve("big");
        Path copy = fs.mountPoint().resolve("copy");
        Path content = Data.random(tmp.resolve("content"), DATA, 243);
        long at = 3 * GiB + 12345 * 65536L; // on a chunk boundary: 1024 chunks
        Tools.dd("if=" + content, "of=" + big, "bs=1M", "seek=" + at, "oflag=seek_bytes,direct", "conv=notrunc").assertOk();
        assertEquals(DATA, Tools.committedBytes(big));

        Cmd.run(java.time.Duration.ofMinutes(10), "cp", "--sparse=never", big.toString(), copy.toString()).assertOk();

        long committed = Tools.committedBytes(copy);
        assertTrue(committed <= DATA + MiB, "cp --sparse=never's copy holds " + committed + " bytes for " + DATA + " of data");
        assertEquals(10 * GiB, Tools.statSize(copy));
        Tools.cmp(content, 0, copy, at, DATA);
        Tools.cmp(big, at - 64 * MiB, copy, at - 64 * MiB, DATA + 128 * MiB);
        Tools.cmpZeros(copy, 0, 256 * MiB);
        Tools.cmpZeros(copy, 10 * GiB - 256 * MiB, 256 * MiB);
    }
}

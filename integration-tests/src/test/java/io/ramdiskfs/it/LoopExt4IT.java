package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.KiB;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk as a block device: losetup (buffered and --direct-io=on), mkfs.ext4, mount, copy files
 * in, umount, e2fsck finds it clean, and the files read back after a remount.
 */
@RequiresFuse(root = true, tools = {"losetup", "mkfs.ext4", "e2fsck", "mount", "umount", "fstrim", "diff", "cp", "sync"})
class LoopExt4IT {
    static final long DISK = 256 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "sector size {0}, losetup {1}")
    @CsvSource({
        "512,  ''",
        "512,  --direct-io=on",
        "4096, --direct-io=on --sector-size=4096",
    })
    void ext4OnALoopDeviceHoldsCopiedFilesAndChecksClean(int sectorSize, String losetupOptions) throws IOException {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", DISK)).withSectorSize(sectorSize));
        Path src = sourceTree(tmp.resolve("tree"));
        String[] opts = losetupOptions.isBlank() ? new String[0] : losetupOptions.trim().split("\\s+");

        String dev = disks.attachLoop(fs.mountPoint().resolve("disk0"), opts);
        if (losetupOptions.contains("--direct-io=on")) {
            assertEquals("1", Cmd.ok("losetup", "--noheadings", "--output", "DIO", dev).out(),
                    "the loop device fell back to buffered I/O: the kernel could not open the disk with O_DIRECT");
        }
        Cmd.ok("mkfs.ext4", "-q", dev);
        Path ext = disks.newDir("ext");
        disks.mountDevice(dev, ext);
        Cmd.ok("cp", "-r", src.toString(), ext.toString() + "/");
        Cmd.ok("sync");
        Cmd.ok("diff", "-r", src.toString(), ext.resolve("tree").toString());
        disks.umount(ext);

        Cmd.run(java.time.Duration.ofSeconds(120), "e2fsck", "-fn", dev).assertOk();

        disks.mountDevice(dev, ext, "-o", "ro");
        Cmd.ok("diff", "-r", src.toString(), ext.resolve("tree").toString());
        disks.umount(ext);
        disks.detachLoop(dev);
    }

    @Test
    void fstrimAfterDeletingAFileGivesTheMemoryBack() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", DISK));
        Path disk = fs.mountPoint().resolve("disk0");
        String dev = disks.attachLoop(disk);
        Cmd.ok("mkfs.ext4", "-q", dev);
        Path ext = disks.newDir("ext");
        disks.mountDevice(dev, ext);
        long afterMkfs = Tools.committedBytes(disk);
        assertTrue(afterMkfs < 64 * MiB, "mkfs discards the device, so only ext4's metadata is held: " + afterMkfs);
        Data.random(tmp.resolve("big"), 48 * MiB, 71);
        Cmd.ok("cp", tmp.resolve("big").toString(), ext.toString() + "/");
        Cmd.ok("sync");
        long withFile = Tools.committedBytes(disk);
        assertTrue(withFile >= afterMkfs + 48 * MiB, "48 MiB file: committed went from " + afterMkfs + " to " + withFile);

        Files.delete(ext.resolve("big"));
        Cmd.ok("sync");
        Cmd.ok("fstrim", ext.toString());

        long trimmed = Tools.committedBytes(disk);
        assertTrue(trimmed <= withFile - 40 * MiB, "fstrim after deleting 48 MiB: committed went from " + withFile + " to " + trimmed);
        disks.umount(ext);
        Cmd.run(java.time.Duration.ofSeconds(120), "e2fsck", "-fn", dev).assertOk();
    }

    /** A directory of files of assorted sizes (about 24 MiB), some not a multiple of any block size. */
    private static Path sourceTree(Path root) throws IOException {
        Files.createDirectories(root.resolve("sub/deeper"));
        SplittableRandom rnd = new SplittableRandom(70);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Path dir = i % 3 == 0 ? root : i % 3 == 1 ? root.resolve("sub") : root.resolve("sub/deeper");
            files.add(Data.random(dir.resolve("f" + i), rnd.nextLong(1, 1200 * KiB), 700 + i));
        }
        Data.random(root.resolve("large.bin"), 5 * MiB + 123, 799);
        Files.createFile(root.resolve("empty"));
        return root;
    }
}

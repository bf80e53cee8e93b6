package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.KiB;
import static io.ramdiskfs.it.support.Data.MiB;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ext4 on a loop device (O_DIRECT) over a 1 GiB disk: 3000 files of random sizes copied in and
 * compared; nine in ten deleted; fstrim passes the freed blocks down as punch-holes, so the
 * memory the disk holds (committed bytes, du) drops by about what was deleted; umount; e2fsck
 * finds the filesystem clean, and the files that stayed read back unchanged.
 */
@RequiresFuse(root = true, tools = {"losetup", "mkfs.ext4", "e2fsck", "mount", "umount", "fstrim", "cp", "diff", "sync", "du"})
class Ext4TrimIT {
    static final long DISK = 1024 * MiB;
    static final int FILES = 3000;
    static final Duration FSCK = Duration.ofSeconds(120);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void aCopyOfThousandsOfFilesThenDeleteAndFstrimGivesTheMemoryBackAndChecksClean() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", DISK));
        Path disk = fs.mountPoint().resolve("disk0");
        Path tree = disks.newDir("tree");
        List<Path> files = makeFiles(tree);
        String dev = disks.attachLoop(disk, "--direct-io=on");
        Cmd.ok("mkfs.ext4", "-q", "-E", "nodiscard", dev); // no discard at mkfs: the trim below is the only one
        Path ext = disks.newDir("ext");
        disks.mountDevice(dev, ext);

        Cmd.run(Duration.ofSeconds(120), "cp", "-a", tree.toString(), ext + "/").assertOk();
        Cmd.ok("sync");
        Cmd.run(Duration.ofSeconds(120), "diff", "-r", tree.toString(), ext.resolve(tree.getFileName()).toString()).assertOk();
        long committedFull = Tools.committedBytes(disk);
        long duFull = Tools.du(disk);

        long deleted = 0;
        List<Path> kept = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Path copy = ext.resolve(tree.getFileName()).resolve(tree.relativize(files.get(i)));
            if (i % 10 != 0) {
                deleted += Files.size(copy);
                Files.delete(copy);
            } else {
                kept.add(files.get(i));
            }
        }
        Cmd.ok("sync");
        long committedDeleted = Tools.committedBytes(disk);
        Cmd.ok("fstrim", ext.toString());
        Cmd.ok("sync");
        long committedTrimmed = Tools.committedBytes(disk);
        long duTrimmed = Tools.du(disk);

        String numbers = "committed bytes: " + committedFull + " after the copy, " + committedDeleted + " after deleting " + deleted
                + " bytes of files, " + committedTrimmed + " after fstrim; du " + duFull + " -> " + duTrimmed;
        System.out.println("Ext4TrimIT: " + numbers);
        assertTrue(committedFull >= 100 * MiB, "the copy must commit what it wrote: " + numbers);
        assertTrue(committedDeleted >= committedFull - 8 * MiB, "deleting without discard frees nothing yet: " + numbers);
        assertTrue(committedTrimmed <= committedDeleted - deleted * 8 / 10, "fstrim must give back most of the deleted bytes: " + numbers);
        assertTrue(duTrimmed <= duFull - deleted * 8 / 10, "du of the disk must drop after fstrim: " + numbers);

        disks.umount(ext);
        Cmd.run(FSCK, "e2fsck", "-fn", dev).assertOk();
        disks.mountDevice(dev, ext, "-o", "ro");
        for (Path f : kept) {
            Tools.cmp(f, ext.resolve(tree.getFileName()).resolve(tree.relativize(f)));
        }
        disks.umount(ext);
        disks.detachLoop(dev);
        deleteTree(tree);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** 3000 files of 1 byte to 96 KiB (about 140 MiB) in 30 directories, sizes mostly not a multiple of 4 KiB. */
    private static List<Path> makeFiles(Path root) throws IOException {
        SplittableRandom rnd = new SplittableRandom(3000);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            Path dir = Files.createDirectories(root.resolve("d" + (i % 30)));
            Path f = dir.resolve("f" + i);
            Files.write(f, Data.randomBytes(rnd.nextInt(1, (int) (96 * KiB)), 9000 + i));
            files.add(f);
        }
        return files;
    }
}

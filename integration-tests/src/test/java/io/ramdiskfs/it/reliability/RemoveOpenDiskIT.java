package io.ramdiskfs.it.reliability;

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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #20 item 10 through a real mount: {@code rm} of a disk that is open. libfuse2 without
 * {@code hard_remove} renames such a file to {@code .fuse_hiddenNNNN} and deletes it at the last
 * close; ramdiskfs took that name for a disk: listed, counted, captured by {@code mkdir .snap/S},
 * and once libfuse deleted it, {@code rollback MOUNT S} failed with ENOENT for good. Now the name
 * goes at once, as on any file system, and the disk lives on behind the open descriptor until it
 * is closed.
 */
@RequiresFuse(root = true, tools = {"setfattr", "ls", "df"})
class RemoveOpenDiskIT {
    static final long DISK = 8 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // snapshots and rollback: RAM disks on either lane

    @Test
    void anOpenDiskRemovedLeavesNoHiddenDiskAndTheMountRollsBackAfterwards() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("keep", DISK), DiskDefinition.ram("gone", DISK));
        Path mp = fs.mountPoint();
        Path content = Data.random(disks.newDir("data").resolve("content"), MiB, 61);
        byte[] bytes = Files.readAllBytes(content);
        try (FileChannel ch = FileChannel.open(mp.resolve("gone"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), 0);
            Cmd.ok("rm", mp.resolve("gone").toString());

            assertEquals(List.of("keep"), Cmd.ok("ls", "-A", mp.toString()).out().lines().toList(), "the removed disk left a name");
            assertEquals(List.of("keep"), fs.directory().names(), "the removed disk is still counted as a disk");
            Cmd.ok("mkdir", mp.resolve(".snap/after-rm").toString());
            assertEquals(List.of("keep"), Cmd.ok("ls", "-A", mp.resolve(".snap/after-rm").toString()).out().lines().toList());

            // The open descriptor still has the disk: reads what was written, takes writes.
            ByteBuffer back = ByteBuffer.allocate(bytes.length);
            while (back.hasRemaining() && ch.read(back, back.position()) > 0) {
                // read on
            }
            assertTrue(java.util.Arrays.equals(bytes, back.array()), "the open disk lost its data when its name went");
            ch.write(ByteBuffer.wrap(bytes), MiB);
            assertEquals(DISK, ch.size());
        }
        awaitUsedBelow(fs, MiB); // the last close frees the removed disk's 2 MiB (the release is sent in the background)
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("keep"), "bs=1M", "count=1", "conv=notrunc");
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "after-rm", mp.toString());
        assertEquals(List.of("keep"), Cmd.ok("ls", "-A", mp.toString()).out().lines().toList());
        assertEquals(List.of("after-rm"), Cmd.ok("ls", "-A", mp.resolve(".snap").toString()).out().lines().toList());
    }

    @Test
    void mvOverAnOpenDiskLeavesNoHiddenDiskEither() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("new", DISK), DiskDefinition.ram("old", DISK));
        Path mp = fs.mountPoint();
        Path content = Data.random(disks.newDir("data").resolve("content"), MiB, 62);
        Tools.dd("if=" + content, "of=" + mp.resolve("new"), "bs=1M", "conv=notrunc");
        try (FileChannel old = FileChannel.open(mp.resolve("old"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            old.write(ByteBuffer.wrap(Data.randomBytes((int) MiB, 63)), 0);
            Cmd.ok("mv", mp.resolve("new").toString(), mp.resolve("old").toString());
            assertEquals(List.of("old"), Cmd.ok("ls", "-A", mp.toString()).out().lines().toList());
            Cmd.ok("mkdir", mp.resolve(".snap/s").toString());
            assertEquals(List.of("old"), Cmd.ok("ls", "-A", mp.resolve(".snap/s").toString()).out().lines().toList());
            assertEquals(DISK, old.size(), "fstat of the replaced disk, still open");
            Tools.cmp(content, 0, mp.resolve("old"), 0, MiB);
        }
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "s", mp.toString());
        Tools.cmp(content, 0, mp.resolve("old"), 0, MiB);
        awaitUsedBelow(fs, 2 * MiB);
    }

    private static void awaitUsedBelow(RamDiskFs fs, long bytes) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        long used;
        while ((used = Tools.df(fs.mountPoint())[1]) >= bytes && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertTrue(used < bytes, "df shows " + used + " bytes used after the removed disk's last close, expected under " + bytes);
    }
}

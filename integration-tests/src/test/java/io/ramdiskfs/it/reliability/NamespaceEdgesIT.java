package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rows of the name table that are not refusals of bad names: an unlinked disk lives on
 * through its open handles and its memory returns when the last one closes; rename onto a disk
 * replaces it and frees its memory; foreign extended attributes are ENODATA / EOPNOTSUPP, ours
 * cannot be changed (EPERM).
 */
@RequiresFuse(tools = {"python3", "dd", "cmp", "df", "rm", "mv"})
class NamespaceEdgesIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void anUnlinkedDiskServesItsOpenHandleAndFreesItsMemoryWhenItCloses() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("a", 8 * MiB), DiskDefinition.ram("b", 8 * MiB));
        Path a = fs.mountPoint().resolve("a");
        Path data = Data.random(disks.testDir().resolve("data"), 8 * MiB, 801);
        Tools.dd("if=" + data, "of=" + a, "bs=1M", "conv=notrunc").assertOk();

        try (FileChannel open = FileChannel.open(a, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Cmd.ok("rm", a.toString());

            assertFalse(Files.exists(a), "the name goes at once");
            assertEquals(8 * MiB, Tools.df(fs.mountPoint())[1], "df used while the unlinked disk is still open");
            ByteBuffer buf = ByteBuffer.allocate((int) MiB);
            open.read(buf, 3 * MiB);
            assertEquals(ByteBuffer.wrap(Data.read(data, 3 * MiB, (int) MiB)), buf.flip(), "data read through the open handle at 3 MiB");
            open.write(ByteBuffer.wrap(new byte[4096]), 0);
        }

        Await.until(java.time.Duration.ofSeconds(10), () -> Tools.df(fs.mountPoint())[1] == 0,
                () -> "df used after the last handle of the unlinked disk closed: " + Tools.df(fs.mountPoint())[1]);
        assertEquals("ENOENT", Syscalls.open(a, "ro"));
    }

    @Test
    void renameOntoADiskReplacesItAndFreesItsMemory() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("a", 4 * MiB), DiskDefinition.ram("b", 8 * MiB));
        Path a = fs.mountPoint().resolve("a");
        Path b = fs.mountPoint().resolve("b");
        Path dataA = Data.random(disks.testDir().resolve("a"), 4 * MiB, 802);
        Tools.dd("if=" + dataA, "of=" + a, "bs=1M", "conv=notrunc").assertOk();
        Tools.dd("if=/dev/urandom", "of=" + b, "bs=1M", "count=8", "conv=notrunc").assertOk();
        assertEquals(12 * MiB, Tools.df(fs.mountPoint())[1]);

        Cmd.ok("mv", a.toString(), b.toString());

        assertFalse(Files.exists(a));
        Tools.cmp(dataA, b);
        assertEquals(4 * MiB, Tools.df(fs.mountPoint())[1], "df used after the replaced disk was freed");
    }

    @Test
    void foreignAttributesAreEnodataAndEopnotsuppAndOursCannotBeChanged() {
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("disk0", MiB)));
        Path disk = fs.mountPoint().resolve("disk0");

        assertEquals("ENODATA", Syscalls.call("getxattr", disk, "user.other"), "getxattr of a foreign name");
        assertEquals("ENODATA", Syscalls.call("getxattr", disk, "security.capability"), "getxattr of security.capability");
        assertEquals("EOPNOTSUPP", Syscalls.call("setxattr", disk, "user.other", "x"), "setxattr of a foreign name");
        assertEquals("EPERM", Syscalls.call("setxattr", disk, "user.ramdiskfs.sector_size", "4096"), "setxattr of ours");
        assertEquals("EPERM", Syscalls.call("removexattr", disk, "user.ramdiskfs.layers"), "removexattr of ours");
        assertEquals("OK 3", Syscalls.call("getxattr", disk, "user.ramdiskfs.sector_size"), "ours still reads");
        assertEquals("512", Tools.getfattr(disk).get("user.ramdiskfs.sector_size"));
    }
}

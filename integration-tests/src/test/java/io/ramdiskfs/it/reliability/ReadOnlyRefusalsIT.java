package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every way to change a read-only disk ({@code ,ro}) or anything on a read-only mount
 * ({@code --read-only}) is EROFS: opening for writing, O_TRUNC, truncate(2) of the path (which
 * needs no open), dd, truncate(1), every fallocate mode; on the mount also create, mknod, unlink,
 * rename and chmod. The bytes stay, the image under a memdiff disk stays, the process serves, and
 * a writable neighbour still writes.
 */
@RequiresFuse(tools = {"python3", "dd", "truncate", "fallocate", "cmp", "touch", "sha256sum"})
class ReadOnlyRefusalsIT {
    static final String EROFS_TEXT = "Read-only file system";

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void readOnlyDisksRefuseEveryChangeAndAWritableNeighbourDoesNot() {
        Path image = Data.random(disks.testDir().resolve("base.raw"), 4 * MiB, 301);
        String imageSha = sha256(image);
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-v", "-d", "base=memdiff:" + image + ",ro", "-d", "blank=8M,ro", "-d", "rw=8M");

        for (String name : List.of("base", "blank")) {
            Path disk = mp.resolve(name);
            assertEquals(15, everyChange(DiskSnapshot.of(disk, disks.testDir().resolve(name + "-before"))), "changes tried on " + disk);
        }
        Tools.cmp(image, mp.resolve("base"));
        assertEquals(imageSha, sha256(image), "the image under the memdiff disk changed");

        Path rw = mp.resolve("rw");
        Path data = Data.random(disks.testDir().resolve("rw-data"), 8 * MiB, 302);
        Tools.dd("if=" + data, "of=" + rw, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        Tools.cmp(data, rw);
        assertServing(rd, mp);
    }

    @Test
    void aReadOnlyMountRefusesEveryChangeToDisksAndToTheDirectory() {
        Path image = Data.random(disks.testDir().resolve("base.raw"), 4 * MiB, 303);
        String imageSha = sha256(image);
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-v", "--read-only", "-d", "base=memdiff:" + image, "-d", "disk0=8M");

        for (String name : List.of("base", "disk0")) {
            Path disk = mp.resolve(name);
            assertEquals(15, everyChange(DiskSnapshot.of(disk, disks.testDir().resolve(name + "-before"))), "changes tried on " + disk);
        }
        assertEquals("EROFS", Syscalls.open(mp.resolve("new"), "create"), "create on a read-only mount");
        assertEquals("EROFS", Syscalls.call("mknod", mp.resolve("new"), "reg"), "mknod on a read-only mount");
        Cmd.run("touch", mp.resolve("new").toString()).assertFailsWith(EROFS_TEXT);
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("new"), "bs=4k", "count=1").assertFailsWith(EROFS_TEXT);
        assertEquals("EROFS", Syscalls.call("unlink", mp.resolve("disk0")), "unlink on a read-only mount");
        assertEquals("EROFS", Syscalls.call("rename", mp.resolve("disk0"), mp.resolve("renamed")), "rename on a read-only mount");
        String mode = Cmd.ok("stat", "-c", "%a", mp.resolve("disk0").toString()).out();
        assertEquals("EROFS", Syscalls.call("chmod", mp.resolve("disk0"), "600"), "chmod on a read-only mount");
        assertEquals("EROFS", Syscalls.call("mkdir", mp.resolve("dir")), "mkdir on a read-only mount");
        assertEquals(List.of("base", "disk0"), Tools.lines(Cmd.ok("ls", mp.toString()).stdout()), "the directory of a read-only mount");
        assertEquals(mode, Cmd.ok("stat", "-c", "%a", mp.resolve("disk0").toString()).out(), "mode after a refused chmod");

        Tools.cmp(image, mp.resolve("base"));
        Tools.cmpZeros(mp.resolve("disk0"), 0, 8 * MiB);
        assertEquals(imageSha, sha256(image), "the image under the memdiff disk changed");
        assertServing(rd, mp);
    }

    /**
     * Tries every change to the disk, asserting EROFS and that nothing changed after each; returns
     * how many were tried.
     */
    private static int everyChange(DiskSnapshot before) {
        Path disk = before.disk();
        long size = before.size();
        int tried = 0;
        for (String how : List.of("wo", "rw", "trunc")) {
            tried += refused(before, "open(" + how + ")", Syscalls.open(disk, how));
        }
        for (long to : new long[] {0, size / 2, size, size * 2}) {
            tried += refused(before, "truncate(2) to " + to, Syscalls.truncate(disk, to));
        }
        tried += refused(before, "dd conv=notrunc", Tools.dd("if=/dev/zero", "of=" + disk, "bs=4k", "count=1", "conv=notrunc"));
        tried += refused(before, "dd oflag=direct", Tools.dd("if=/dev/zero", "of=" + disk, "bs=4k", "count=1", "conv=notrunc", "oflag=direct"));
        tried += refused(before, "truncate -s 0", Cmd.run("truncate", "-s", "0", disk.toString()));
        tried += refused(before, "truncate -s +1M", Cmd.run("truncate", "-s", "+1M", disk.toString()));
        tried += refused(before, "fallocate --punch-hole", Cmd.run("fallocate", "--punch-hole", "-o", "0", "-l", "1M", disk.toString()));
        tried += refused(before, "fallocate --zero-range", Cmd.run("fallocate", "--zero-range", "-o", "0", "-l", "1M", disk.toString()));
        tried += refused(before, "fallocate -l (mode 0)", Cmd.run("fallocate", "-o", "0", "-l", Long.toString(size * 2), disk.toString()));
        tried += refused(before, "fallocate --dig-holes", Cmd.run("fallocate", "--dig-holes", disk.toString()));
        return tried;
    }

    private static int refused(DiskSnapshot before, String what, String errno) {
        assertEquals("EROFS", errno, what + " of the read-only " + before.disk());
        before.assertUnchanged(what);
        return 1;
    }

    private static int refused(DiskSnapshot before, String what, Cmd.Result r) {
        r.assertFailsWith(EROFS_TEXT);
        before.assertUnchanged(what);
        return 1;
    }

    private static void assertServing(CliProcess rd, Path mp) {
        assertTrue(rd.isAlive(), rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        for (String line : Tools.lines(rd.stderr())) {
            assertTrue(!line.contains(" WARN ") && !line.contains(" ERROR ") && !line.contains("Exception"),
                    "unexpected line in the log: " + line + "\n" + rd.describe());
        }
    }

    private static String sha256(Path file) {
        return Cmd.ok("sha256sum", file.toString()).out().split("\\s+")[0];
    }
}

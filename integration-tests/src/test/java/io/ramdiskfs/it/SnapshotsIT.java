package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Snapshots, rollbacks and clones through a real mount, driven by the tools users type: mkdir and
 * rmdir in {@code .snap}, setfattr, cmp, cp, losetup, e2fsck, fsfreeze, and the ramdiskfs
 * command line acting on the running mount.
 */
@RequiresFuse(root = true, tools = {"setfattr", "getfattr", "cmp", "cp", "losetup", "mkfs.ext4", "e2fsck", "fsfreeze",
        "mount", "umount", "df", "python3"})
class SnapshotsIT {
    static final long DISK = 64 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // snapshots and saves: RAM disks on either lane

    private static long used(RamDiskFs fs) {
        return Tools.df(fs.mountPoint())[1];
    }

    @Test
    void aSnapshotKeepsTheInstantWhileTheDiskMovesOn() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("a", DISK), DiskDefinition.ram("b", DISK));
        Path mp = fs.mountPoint();
        Path before = Data.random(disks.newDir("data").resolve("before"), 32 * MiB, 1);
        Tools.dd("if=" + before, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc", "oflag=direct");
        long usedBefore = used(fs);

        Files.createDirectory(mp.resolve(".snap/s1"));
        assertEquals(List.of("a", "b"), Cmd.ok("ls", mp.resolve(".snap/s1").toString()).out().lines().toList());
        assertTrue(used(fs) - usedBefore < MiB, "a snapshot took memory: " + (used(fs) - usedBefore) + " bytes");

        Path after = Data.random(disks.newDir("data2").resolve("after"), 8 * MiB, 2);
        Tools.dd("if=" + after, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc", "oflag=direct");
        Tools.cmp(before, 0, mp.resolve(".snap/s1/a"), 0, 32 * MiB);
        Tools.cmp(after, 0, mp.resolve("a"), 0, 8 * MiB);
        Tools.cmpZeros(mp.resolve(".snap/s1/b"), 0, DISK);

        // Read-only: writing a snapshot is refused, reading it is not.
        Cmd.run("dd", "if=/dev/zero", "of=" + mp.resolve(".snap/s1/a"), "bs=4k", "count=1", "conv=notrunc")
                .assertFailsWith("Read-only file system");
        assertEquals("s1", getfattr(mp.resolve("a"), "user.ramdiskfs.snapshots"));
        assertTrue(getfattr(mp.resolve("a"), "user.ramdiskfs.layers").equals("ram over ram"));

        // One disk alone, by attribute; EEXIST for the same name twice.
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s2", mp.resolve("a").toString());
        Cmd.run("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s2", mp.resolve("a").toString())
                .assertFailsWith("File exists");
        Cmd.run("mkdir", mp.resolve(".snap/s1").toString()).assertFailsWith("File exists");
        assertEquals("s1 s2", getfattr(mp.resolve("a"), "user.ramdiskfs.snapshots"));
        assertEquals(List.of("s1", "s2"), Cmd.ok("ls", mp.resolve(".snap").toString()).out().lines().toList());

        // Deleting gives back memory no one else uses: once the live data is overwritten, the
        // snapshots hold the only copy of the old 32 MiB.
        Tools.dd("if=" + before, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc", "oflag=direct");
        long withSnapshots = used(fs);
        Cmd.ok("rm", mp.resolve(".snap/s2/a").toString());
        Cmd.ok("rmdir", mp.resolve(".snap/s2").toString());
        Cmd.ok("rmdir", mp.resolve(".snap/s1").toString());
        long without = used(fs);
        assertTrue(withSnapshots - without >= 24 * MiB, "deleting the snapshots freed only " + (withSnapshots - without));
        assertEquals("ram", getfattr(mp.resolve("a"), "user.ramdiskfs.layers"), "the frozen layers were not merged");
        Tools.cmp(before, 0, mp.resolve("a"), 0, 32 * MiB);
    }

    @Test
    void rollbackIsRefusedWhileALoopDeviceHoldsTheDiskAndExt4ChecksCleanOnTheSnapshot() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("vm", 128 * MiB));
        Path mp = fs.mountPoint();
        Path disk = mp.resolve("vm");
        String dev = disks.attachLoop(disk, "--direct-io=on");
        Cmd.ok("mkfs.ext4", "-q", dev);
        Path ext = disks.newDir("ext");
        disks.mountDevice(dev, ext);
        Path kept = Data.random(ext.resolve("kept"), 4 * MiB, 3);
        Cmd.ok("sync");

        Cmd.ok("fsfreeze", "-f", ext.toString());
        try {
            Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "frozen", disk.toString());
        } finally {
            Cmd.ok("fsfreeze", "-u", ext.toString());
        }
        Data.random(ext.resolve("later"), 8 * MiB, 4);
        Files.delete(kept);
        Cmd.ok("sync");

        // The snapshot is a consistent ext4 image of its own, while the live one is in use.
        String snapDev = disks.attachLoop(mp.resolve(".snap/frozen/vm"), "-r");
        Cmd.run(Duration.ofSeconds(120), "e2fsck", "-fn", snapDev).assertOk();
        disks.detachLoop(snapDev);

        Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "frozen", disk.toString())
                .assertFailsWith("Device or resource busy");
        disks.umount(ext);
        disks.detachLoop(dev);
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "frozen", disk.toString());

        dev = disks.attachLoop(disk);
        Cmd.run(Duration.ofSeconds(120), "e2fsck", "-fn", dev).assertOk();
        disks.mountDevice(dev, ext, "-o", "ro");
        assertTrue(Files.exists(ext.resolve("kept")), "the rollback did not bring back the file deleted after the snapshot");
        assertFalse(Files.exists(ext.resolve("later")), "a file written after the snapshot survived the rollback");
        disks.umount(ext);
        disks.detachLoop(dev);
    }

    @Test
    void fioVerifiesAcrossGroupSnapshots() throws Exception {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("d0", DISK), DiskDefinition.ram("d1", DISK));
        Path mp = fs.mountPoint();
        List<Process> writers = new java.util.ArrayList<>();
        for (String d : List.of("d0", "d1")) {
            writers.add(new ProcessBuilder(fio(mp.resolve(d), "--rw=randwrite", "--do_verify=0"))
                    .redirectErrorStream(true).redirectOutput(disks.testDir().resolve(d + ".fio").toFile()).start());
        }
        int taken = 0;
        try {
            while (writers.stream().anyMatch(Process::isAlive) && taken < 20) {
                Files.createDirectory(mp.resolve(".snap/g" + taken++));
                Thread.sleep(50);
            }
            for (Process p : writers) {
                assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "fio did not finish");
                assertEquals(0, p.exitValue(), Files.readString(disks.testDir().resolve("d0.fio")));
            }
        } finally {
            for (Process p : writers) {
                p.destroyForcibly();
            }
        }
        assertTrue(taken >= 2, "only " + taken + " snapshots were taken while fio wrote");
        Files.createDirectory(mp.resolve(".snap/final"));
        for (String d : List.of("d0", "d1")) {
            Cmd.run(Duration.ofSeconds(120), fio(mp.resolve(d), "--rw=randwrite", "--verify_only=1")).assertOk();
            // fio opens its file for writing even to verify: check the snapshot through a clone of it.
            Cmd.ok("setfattr", "-n", "user.ramdiskfs.clone", "-v", d + "-final", mp.resolve(".snap/final/" + d).toString());
            Cmd.run(Duration.ofSeconds(120), fio(mp.resolve(d + "-final"), "--rw=randwrite", "--verify_only=1")).assertOk();
            for (int i = 0; i < taken; i++) {
                Cmd.ok("dd", "if=" + mp.resolve(".snap/g" + i + "/" + d), "of=/dev/null", "bs=1M", "iflag=direct");
            }
        }
        for (int i = 0; i < taken; i++) {
            Cmd.ok("rmdir", mp.resolve(".snap/g" + i).toString());
        }
        Cmd.ok("rmdir", mp.resolve(".snap/final").toString());
        Cmd.ok("rm", mp.resolve("d0-final").toString(), mp.resolve("d1-final").toString());
        assertEquals("ram", getfattr(mp.resolve("d0"), "user.ramdiskfs.layers"));
    }

    private static List<String> fio(Path file, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of("fio", "--name=v", "--filename=" + file, "--size=32M",
                "--bs=4k-64k", "--direct=1", "--ioengine=psync", "--verify=crc32c", "--verify_fatal=1", "--randseed=7"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    @Test
    void cpOfAFullDiskIsACloneThatCopiesNothing() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("a", DISK));
        Path mp = fs.mountPoint();
        Path content = Data.random(disks.newDir("data").resolve("full"), DISK, 5);
        Tools.dd("if=" + content, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc", "oflag=direct");
        long before = used(fs);
        Cmd.ok("cp", mp.resolve("a").toString(), mp.resolve("b").toString());
        assertTrue(used(fs) - before < MiB, "cp copied " + (used(fs) - before) + " bytes of data");
        Tools.cmp(content, mp.resolve("b"));
        Tools.dd("if=/dev/zero", "of=" + mp.resolve("b"), "bs=1M", "count=4", "conv=notrunc");
        Tools.cmp(content, mp.resolve("a"));
        Tools.cmpZeros(mp.resolve("b"), 0, 4 * MiB);
        Tools.cmp(content, 4 * MiB, mp.resolve("b"), 4 * MiB, DISK - 4 * MiB);
    }

    /**
     * A sparse disk copied the way {@code cp} 9.2 and later copy one (copy_file_range per data
     * extent between SEEK_DATA and SEEK_HOLE, into a fresh file, then ftruncate) is a clone too;
     * coreutils 9.1's {@code cp} reads and writes the extents instead, which must still give an
     * exact copy.
     */
    @Test
    void aSparseDiskCopiedExtentByExtentIsAClone() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("thin", 1024 * MiB));
        Path mp = fs.mountPoint();
        Path thin = mp.resolve("thin");
        Data.writeAt(thin, 0, Data.randomBytes((int) (4 * MiB), 6));
        Data.writeAt(thin, 300 * MiB, Data.randomBytes((int) (3 * MiB), 7));
        Data.writeAt(thin, 1000 * MiB, Data.randomBytes((int) MiB, 8));
        long before = used(fs);
        String script = String.join("\n",
                "import os, sys",
                "s = os.open(sys.argv[1], os.O_RDONLY)",
                "d = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)",
                "pos, size, calls = 0, os.fstat(s).st_size, 0",
                "while True:",
                "    try:",
                "        start = os.lseek(s, pos, os.SEEK_DATA)",
                "    except OSError:",
                "        break",
                "    end = os.lseek(s, start, os.SEEK_HOLE)",
                "    while start < end:",
                "        n = os.copy_file_range(s, d, end - start, start, start)",
                "        start += n",
                "        calls += 1",
                "    pos = end",
                "os.ftruncate(d, size)",
                "print(calls)");
        Cmd.Result r = Cmd.ok("python3", "-c", script, thin.toString(), mp.resolve("copy").toString());
        assertEquals("3", r.out(), "copy_file_range calls, one per data extent");
        assertTrue(used(fs) - before < MiB, "the extent copies took " + (used(fs) - before) + " bytes");
        Cmd.ok("cmp", thin.toString(), mp.resolve("copy").toString());

        Cmd.ok("cp", thin.toString(), mp.resolve("cp91").toString());
        Cmd.ok("cmp", thin.toString(), mp.resolve("cp91").toString());
    }

    @Test
    void theCommandLineActsOnARunningMount() throws IOException {
        Path mp = disks.newMountPoint();
        try (CliProcess cli = disks.startCliMounted(mp, "-d", "a=16M", "-d", "b=16M")) {
            Path content = Data.random(disks.newDir("data").resolve("c"), 16 * MiB, 9);
            Tools.dd("if=" + content, "of=" + mp.resolve("a"), "bs=1M", "conv=notrunc");
            ramdiskfs("snapshot", mp.toString(), "one").assertOk();
            ramdiskfs("snapshot", mp.resolve("a").toString(), "two").assertOk();
            assertEquals("one: a b\ntwo: a", ramdiskfs("snapshots", mp.toString()).assertOk().out());
            Tools.dd("if=/dev/zero", "of=" + mp.resolve("a"), "bs=1M", "count=16", "conv=notrunc");
            ramdiskfs("clone", mp.resolve(".snap/one/a").toString(), mp.resolve("fromsnap").toString()).assertOk();
            Tools.cmp(content, mp.resolve("fromsnap"));
            ramdiskfs("rollback", mp.toString(), "one").assertOk();
            Tools.cmp(content, mp.resolve("a"));
            ramdiskfs("rollback", mp.resolve("a").toString(), "nosuch").assertExit(1)
                    .assertFailsWith("No such file or directory");
            ramdiskfs("clone", mp.resolve("a").toString(), "/tmp/elsewhere").assertExit(2);
        }
    }

    private static Cmd.Result ramdiskfs(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", CliProcess.jar().toString()));
        cmd.addAll(List.of(args));
        return Cmd.run(Duration.ofSeconds(60), cmd);
    }

    private static String getfattr(Path file, String name) {
        return Cmd.ok("getfattr", "--only-values", "-n", name, file.toString()).stdout().trim();
    }
}

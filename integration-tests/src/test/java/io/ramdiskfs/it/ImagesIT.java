package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Save, load, persist, commit, cache and write-through disks (SPEC section 7) through real mounts
 * and the command line: images are compared by content and sha, their holes by SEEK_DATA, and
 * every crash guarantee is tried with kill -9.
 */
@RequiresFuse(root = true, tools = {"setfattr", "getfattr", "cmp", "python3", "losetup", "mount", "umount", "du"})
class ImagesIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // snapshots and saves: RAM disks on either lane

    /** {@code ramdiskfs ARGS} on a running mount. */
    static Cmd.Result ramdiskfs(String... args) {
        return Cmd.run(Duration.ofMinutes(5), CliProcess.commandLine(args));
    }

    static long allocated(Path file) {
        return Tools.statBlocks(file) * 512;
    }

    /** The data extents of a file by SEEK_DATA / SEEK_HOLE, as "start-end" strings. */
    static String extents(Path file) {
        return Cmd.ok("python3", "-c", """
                import os, sys
                fd = os.open(sys.argv[1], os.O_RDONLY); size = os.fstat(fd).st_size; pos = 0; out = []
                while pos < size:
                    try: d = os.lseek(fd, pos, os.SEEK_DATA)
                    except OSError: break
                    h = os.lseek(fd, d, os.SEEK_HOLE); out.append('%d-%d' % (d, h)); pos = h
                print(' '.join(out))
                """, file.toString()).out().strip();
    }

    private static Path write(Path disk, long offset, long len, long seed, Path scratch) {
        Path src = Data.random(scratch.resolve("w" + seed), len, seed);
        Tools.dd("if=" + src, "of=" + disk, "bs=1M", "seek=" + offset, "oflag=seek_bytes,direct", "conv=notrunc");
        return src;
    }

    @Test
    void saveWritesASparseCompleteImageAndLoadKeepsItsHoles() throws IOException {
        Path mp = disks.newMountPoint();
        Path out = disks.newDir("out");
        disks.startCliMounted(mp, "-d", "vm=4G");
        Path vm = mp.resolve("vm");
        write(vm, 100 * MiB, 8 * MiB, 1, out);
        write(vm, 3000 * MiB, 3 * MiB, 2, out);

        Path image = out.resolve("vm.raw");
        Cmd.Result r = ramdiskfs("save", vm.toString(), image.toString()).assertOk();
        assertTrue(r.out().contains("saved"), r.describe());
        assertEquals(4096 * MiB, Data.size(image));
        assertTrue(allocated(image) <= 12 * MiB, "not sparse: " + allocated(image));
        assertEquals(extents(vm), extents(image));
        Tools.cmp(vm, 100 * MiB, image, 100 * MiB, 8 * MiB);
        Tools.cmp(vm, 3000 * MiB, image, 3000 * MiB, 3 * MiB);
        try (Stream<Path> s = Files.list(out)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("ramdiskfs-tmp")), "a temporary file was left");
        }

        // load: the same holes, and independent of the image afterwards.
        Path mp2 = disks.newMountPoint();
        disks.startCliMounted(mp2, "-d", "copy=load:" + image);
        Path copy = mp2.resolve("copy");
        assertEquals(extents(image), extents(copy));
        assertTrue(Tools.committedBytes(copy) <= 12 * MiB, "holes cost memory: " + Tools.committedBytes(copy));
        Data.zeroAt(image, 100 * MiB, MiB);
        Tools.cmp(vm, 100 * MiB, copy, 100 * MiB, 8 * MiB);
    }

    @Test
    void aSaveWhileAWriterRunsHoldsAPrefixOfItsWrites() throws Exception {
        Path mp = disks.newMountPoint();
        Path out = disks.newDir("out");
        disks.startCliMounted(mp, "-d", "log=256M");
        Path log = mp.resolve("log");
        // One writer, blocks in order, each stamped with its sequence number: any instant shows
        // blocks 0..k-1 stamped and nothing after.
        Process writer = new ProcessBuilder("python3", "-c", """
                import os, sys, struct
                fd = os.open(sys.argv[1], os.O_WRONLY); n = 0
                while n < 60000:
                    os.pwrite(fd, struct.pack('<Q', n + 1) * 512, n * 4096); n += 1
                """, log.toString()).redirectErrorStream(true).start();
        try {
            Thread.sleep(300);
            for (int i = 0; i < 3; i++) {
                Path image = out.resolve("log" + i + ".raw");
                ramdiskfs("save", log.toString(), image.toString()).assertOk();
                String verdict = Cmd.ok("python3", "-c", """
                        import sys, struct
                        data = open(sys.argv[1], 'rb').read(); k = 0
                        while k < len(data) // 4096 and data[k*4096:k*4096+8] != bytes(8): k += 1
                        for b in range(len(data) // 4096):
                            want = struct.pack('<Q', b + 1) * 512 if b < k else bytes(4096)
                            if data[b*4096:(b+1)*4096] != want: print('torn at', b, 'prefix', k); sys.exit(1)
                        print(k)
                        """, image.toString()).out().strip();
                assertTrue(Long.parseLong(verdict) >= 0, verdict);
            }
        } finally {
            writer.destroyForcibly().waitFor();
        }
    }

    @Test
    void aFullDestinationLeavesTheOldImageAndTheDiskServing() throws IOException {
        Path mp = disks.newMountPoint();
        Path small = disks.newDir("small");
        Cmd.ok("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", small.toString());
        try {
            disks.startCliMounted(mp, "-d", "vm=1G");
            Path vm = mp.resolve("vm");
            write(vm, 0, 8 * MiB, 1, disks.newDir("src"));
            Path image = small.resolve("vm.raw");
            ramdiskfs("save", vm.toString(), image.toString()).assertOk();
            String before = Data.sha256(image);
            write(vm, 200 * MiB, 20 * MiB, 2, disks.newDir("src2"));
            Cmd.Result r = ramdiskfs("save", vm.toString(), image.toString());
            assertEquals(1, r.exitCode(), r.describe());
            assertTrue(r.stderr().contains("no space left on device") && r.stderr().lines().count() == 1, r.describe());
            assertEquals(before, Data.sha256(image));
            try (Stream<Path> s = Files.list(small)) {
                assertEquals(List.of(image), s.toList(), "a temporary file was left");
            }
            write(vm, 500 * MiB, MiB, 3, disks.newDir("src3")); // still serving
        } finally {
            Cmd.run("umount", small.toString());
        }
    }

    @Test
    void killedDuringASaveTheImageIsTheOldOrTheNewOne() throws IOException {
        Random random = new Random(12);
        Path out = disks.newDir("out");
        Path image = out.resolve("p.raw");
        Path scratch = disks.newDir("src");
        Set<String> seen = new java.util.HashSet<>();
        for (int trial = 0; trial < 3; trial++) {
            Path mp = disks.newMountPoint();
            CliProcess p = disks.startCliMounted(mp, "-d", "p=persist:" + image + ",size=512M");
            Path disk = mp.resolve("p");
            write(disk, 0, 64 * MiB, 10 + trial, scratch);
            ramdiskfs("save", disk.toString()).assertOk();
            String old = Data.sha256(image);
            write(disk, 64 * MiB, 128 * MiB, 20 + trial, scratch);
            Cmd.ok("setfattr", "-n", "user.ramdiskfs.save", "-v", "", disk.toString());
            sleepMillis(random.nextInt(400));
            p.kill9();
            String now = Data.sha256(image);
            Path expectedNew = out.resolve("expected");
            if (!now.equals(old)) {
                // The complete new image: the new data is there.
                Tools.cmp(scratch.resolve("w" + (20 + trial)), 0, image, 64 * MiB, 128 * MiB);
                seen.add("new");
            } else {
                seen.add("old");
            }
            assertFalse(Files.exists(expectedNew));
            Cmd.run("fusermount", "-u", "-z", mp.toString());
            // A restart loads whatever the image is, and its next save clears the stale temp file.
            CliProcess again = disks.startCliMounted(disks.newMountPoint(), "-d", "p=persist:" + image + ",size=512M");
            again.signal("TERM");
            assertEquals(0, again.awaitExit(Duration.ofSeconds(60)), again.describe());
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(image), s.toList(), "stale temporary files remain");
            }
        }
        assertFalse(seen.isEmpty());
    }

    @Test
    void persistRoundTripsAcrossUmountKillAndSaveInterval() throws IOException {
        Path out = disks.newDir("out");
        Path image = out.resolve("home.raw");
        Path scratch = disks.newDir("src");
        String spec = "home=persist:" + image + ",size=256M";

        Path mp = disks.newMountPoint();
        CliProcess p = disks.startCliMounted(mp, "-d", spec);
        Path a = write(mp.resolve("home"), 0, 16 * MiB, 1, scratch);
        Cmd.ok("umount", mp.toString()); // a stop from outside saves too
        assertEquals(0, p.awaitExit(Duration.ofSeconds(60)), p.describe());
        Tools.cmp(a, 0, image, 0, 16 * MiB);

        mp = disks.newMountPoint();
        p = disks.startCliMounted(mp, "-d", spec);
        Tools.cmp(a, 0, mp.resolve("home"), 0, 16 * MiB);
        Path b = write(mp.resolve("home"), 0, 16 * MiB, 2, scratch);
        ramdiskfs("save", mp.resolve("home").toString()).assertOk();
        write(mp.resolve("home"), 0, 16 * MiB, 3, scratch);
        p.kill9(); // loses what came after the last save
        Cmd.run("fusermount", "-u", "-z", mp.toString());

        mp = disks.newMountPoint();
        p = disks.startCliMounted(mp, "--save-interval", "1s", "-d", spec);
        Tools.cmp(b, 0, mp.resolve("home"), 0, 16 * MiB);
        Path d = write(mp.resolve("home"), 0, 16 * MiB, 4, scratch);
        sleepMillis(3000);
        p.kill9();
        Cmd.run("fusermount", "-u", "-z", mp.toString());
        Tools.cmp(d, 0, image, 0, 16 * MiB);
    }

    @Test
    void commitMakesANewBaseAndKeepsOldSnapshots() throws IOException {
        Path out = disks.newDir("out");
        Path base = Data.random(out.resolve("base.raw"), 64 * MiB, 5);
        Cmd.ok("truncate", "-s", "1G", base.toString()); // a hole of its own after 64 MiB
        Path before = Data.copy(base, disks.newDir("keep").resolve("before.raw"));
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "vm=memdiff:" + base);
        Path vm = mp.resolve("vm");
        assertEquals("0-" + 64 * MiB, extents(vm)); // the image's hole shows through
        write(vm, 32 * MiB, 8 * MiB, 6, disks.newDir("src"));
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "pre", vm.toString());
        String expected = Data.sha256(vm);

        ramdiskfs("commit", vm.toString()).assertOk();
        assertEquals(expected, Data.sha256(base));
        assertEquals(expected, Data.sha256(vm));
        assertEquals("ram over file:" + base, Tools.getfattr(vm).get("user.ramdiskfs.layers"));
        assertEquals(0, Tools.committedBytes(vm));
        assertTrue(allocated(base) <= 80 * MiB, "the new base is not sparse: " + allocated(base));
        // The snapshot taken before reads as before (the old base stays open under it).
        write(vm, 0, MiB, 7, disks.newDir("src2"));
        assertEquals(expected, Data.sha256(mp.resolve(".snap/pre/vm")));

        // Refused while open for writing; nothing changes.
        Process holder = new ProcessBuilder("python3", "-c", "import os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR); time.sleep(30)",
                vm.toString()).start();
        try {
            sleepMillis(500);
            ramdiskfs("commit", vm.toString()).assertFailsWith("busy");
            assertEquals(expected, Data.sha256(base));
        } finally {
            holder.destroyForcibly();
        }
        assertFalse(Data.sha256(before).equals(Data.sha256(base)));
    }

    @Test
    void killedDuringACommitTheBaseIsTheOldOrTheNewOne() throws IOException {
        Path out = disks.newDir("out");
        Random random = new Random(7);
        for (int trial = 0; trial < 3; trial++) {
            Path base = Data.random(out.resolve("base.raw"), 128 * MiB, 30 + trial);
            String old = Data.sha256(base);
            Path mp = disks.newMountPoint();
            CliProcess p = disks.startCliMounted(mp, "-d", "vm=memdiff:" + base);
            write(mp.resolve("vm"), 0, 64 * MiB, 40 + trial, disks.newDir("src" + trial));
            String committed = Data.sha256(mp.resolve("vm"));
            Process commit = new ProcessBuilder(CliProcess.commandLine("commit", mp.resolve("vm").toString())).start();
            sleepMillis(random.nextInt(300));
            p.kill9();
            commit.destroyForcibly();
            Cmd.run("fusermount", "-u", "-z", mp.toString());
            String now = Data.sha256(base);
            assertTrue(now.equals(old) || now.equals(committed), "torn base after kill -9 in trial " + trial);
        }
    }

    @Test
    void aCacheDiskReadsFromRamTheSecondTime() throws IOException {
        Path out = disks.newDir("out");
        Path image = Data.random(out.resolve("slow.raw"), 32 * MiB, 8);
        Path copy = Data.copy(image, out.resolve("copy.raw"));
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "c=cache:" + image);
        Path c = mp.resolve("c");
        assertEquals("ram(read-cache) over file:" + image, Tools.getfattr(c).get("user.ramdiskfs.layers"));
        Tools.cmp(copy, c);
        assertEquals(32 * MiB, Tools.committedBytes(c));
        // Change the image under the mount (never do this): a second read that still returns the
        // old bytes came from RAM, not from the image.
        Data.zeroAt(image, 0, 32 * MiB);
        Tools.cmp(copy, c);
    }

    @Test
    void aFullBudgetSkipsTheCacheFillButNeverFailsTheRead() {
        Path image = Data.random(disks.newDir("out").resolve("big.raw"), 32 * MiB, 10);
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "--memory-limit", "4M", "-d", "c=cache:" + image);
        Tools.cmp(image, mp.resolve("c"));
        Tools.cmp(image, mp.resolve("c"));
        assertTrue(Tools.committedBytes(mp.resolve("c")) <= 4 * MiB);
    }

    @Test
    void aWriteThroughDiskHasEveryAcknowledgedWriteInItsImage() throws IOException {
        Path out = disks.newDir("out");
        Path image = Data.random(out.resolve("wt.raw"), 32 * MiB, 9);
        Path mp = disks.newMountPoint();
        CliProcess p = disks.startCliMounted(mp, "-d", "w=writethrough:" + image);
        Path w = mp.resolve("w");
        assertEquals("ram(read-cache,write-through) over file:" + image, Tools.getfattr(w).get("user.ramdiskfs.layers"));
        Path scratch = disks.newDir("src");
        for (int i = 0; i < 4; i++) {
            Path src = write(w, i * 4 * MiB, MiB, 50 + i, scratch);
            Tools.cmp(src, 0, image, i * 4 * MiB, MiB); // acknowledged, so in the image
        }
        Path last = write(w, 20 * MiB, MiB, 60, scratch);
        p.kill9();
        Cmd.run("fusermount", "-u", "-z", mp.toString());
        Tools.cmp(last, 0, image, 20 * MiB, MiB);
    }

    @Test
    void aBlockDeviceServesAsAnImage() throws IOException {
        Path out = disks.newDir("out");
        Path file = Data.random(out.resolve("dev.raw"), 48 * MiB, 11);
        String dev = disks.attachLoop(file, "-r");
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "m=memdiff:" + dev, "-d", "l=load:" + dev);
        assertEquals(48 * MiB, Tools.statSize(mp.resolve("m")));
        Tools.cmp(file, mp.resolve("m"));
        Tools.cmp(file, mp.resolve("l"));
        assertEquals("0-" + 48 * MiB, extents(mp.resolve("m"))); // a device cannot say: all data
        ramdiskfs("commit", mp.resolve("m").toString()).assertFailsWith("not supported");
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real VM on a memdiff disk: a Debian kernel booted by qemu (TCG) from an ext4 base image seen
 * through {@code -d vm=memdiff:base.img}. The guest writes marker files, each synced, while the
 * host snapshots the disk; rollback is refused while qemu holds the disk and done once it has
 * exited; the next boot sees the snapshot's markers (every one synced before it, none begun after
 * it) and e2fsck finds the disk clean; a clone of the snapshot boots beside the original, each
 * keeping its own writes; fstrim in the guest (discard=unmap) gives host memory back; the base
 * image never changes. The guest kit comes from Debian packages (bench/vm/build-guest.sh).
 */
@RequiresFuse(root = true, tools = {"qemu-system-x86_64", "mkfs.ext4", "e2fsck", "debugfs", "losetup", "setfattr",
        "getfattr", "sha256sum", "apt-get", "apt-cache", "dpkg-deb"})
class VmIT {
    static final Duration BOOT = Duration.ofSeconds(150);
    static final Duration RUN = Duration.ofSeconds(150);
    static final int MARKERS = 40;
    static final String BASE_TEXT = "hello from the base image";

    /**
     * Writes MARKERS files of 64 KiB, each synced before it says DONE; then fills and trims 32 MiB
     * on the host's cue. The pause after BEGIN lets the serial port carry the line out before the
     * marker's first write: the kernel's UART driver sends in the background, and the host's upper
     * bound (every marker begun before the snapshot returned) relies on having seen that line.
     */
    static final String WRITER = """
            set -e
            mount -t ext4 /dev/vda /mnt
            echo "BASE $(cat /mnt/base/hello)"
            i=1
            while [ $i -le %d ]; do
                echo "BEGIN $i"
                usleep 50000
                yes "marker $i" | head -c 65536 > /mnt/m$i
                sync
                echo "DONE $i"
                i=$((i + 1))
            done
            dd if=/dev/urandom of=/mnt/big bs=1M count=32 2>/dev/null
            sync
            echo FILLED
            read cue
            rm /mnt/big
            sync
            fstrim /mnt
            echo TRIMMED
            read cue
            umount /mnt
            """.formatted(MARKERS);

    /** Counts the markers (contiguous from 1; complete = the 64 KiB written), then leaves its name in /who. */
    static final String COUNTER = """
            set -e
            mount -t ext4 /dev/vda /mnt
            n=0; c=0; i=1
            while [ -e /mnt/m$i ]; do
                n=$i
                if yes "marker $i" | head -c 65536 | cmp -s - /mnt/m$i; then c=$((c + 1)); fi
                i=$((i + 1))
            done
            echo "MARKERS $n COMPLETE $c FILES $(ls /mnt | grep -c '^m[0-9]')"
            echo "BASE $(cat /mnt/base/hello)"
            if [ -e /mnt/big ]; then echo "BIG present"; else echo "BIG absent"; fi
            echo "WHO-BEFORE $(cat /mnt/who 2>/dev/null || echo none)"
            echo %s > /mnt/who
            sync
            umount /mnt
            """;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private final List<Guest> guests = new ArrayList<>();

    /** Runs before MountedDisks unmounts: no qemu may hold a disk then. */
    @AfterEach
    void powerOffGuests() {
        guests.forEach(Guest::close);
    }

    @Test
    void aGuestOnAMemdiffDiskIsSnapshottedWhileWritingRolledBackClonedAndTrimmed() throws IOException {
        GuestKit kit = GuestKit.build();
        Path base = baseImage(disks);
        String baseSha = sha256(base);
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "vm=memdiff:" + base);
        Path vm = mp.resolve("vm");

        // Boot 1: the guest writes; the snapshot falls between two of its markers.
        Guest writer = boot(kit, "writer", vm, WRITER);
        writer.await("BASE " + BASE_TEXT, BOOT);
        writer.await("DONE 10", RUN);
        int lower = writer.highest("DONE");      // synced before the snapshot: must be in it
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s1", vm.toString());
        int upper = writer.highest("BEGIN");     // every marker begun before the snapshot returned
        ramdiskfs("rollback", vm.toString(), "s1").assertFailsWith("Device or resource busy");
        assertTrue(writer.isAlive(), "the refused rollback must not disturb the guest");

        writer.await("FILLED", RUN);
        long filled = Tools.committedBytes(vm);
        writer.send("trim");
        writer.await("TRIMMED", RUN);
        long trimmed = Tools.committedBytes(vm);
        writer.send("off");
        writer.awaitPoweroff(RUN);
        assertEquals(MARKERS, writer.highest("DONE"), "the guest wrote every marker after the snapshot too");
        assertTrue(filled - trimmed >= 24 * MiB, "fstrim in the guest (discard=unmap) must give back most of the 32 MiB it"
                + " deleted: committed bytes " + filled + " -> " + trimmed);
        System.out.println("VmIT: snapshot between markers " + lower + " and " + upper + "; committed bytes "
                + filled + " -> " + trimmed + " after fstrim");

        // Rollback, now that qemu has closed the disk; the next boot sees the snapshot.
        rollbackOnceClosed(vm, "s1");
        Guest after = boot(kit, "after-rollback", vm, COUNTER.formatted("original"));
        Matcher m = after.await("MARKERS (\\d+) COMPLETE (\\d+) FILES (\\d+)", BOOT);
        after.awaitPoweroff(RUN);
        int markers = Integer.parseInt(m.group(1));
        int complete = Integer.parseInt(m.group(2));
        String seen = "markers " + markers + " (" + complete + " complete, " + m.group(3) + " files); synced before the"
                + " snapshot " + lower + ", begun before it returned " + upper;
        assertTrue(lower <= complete && complete <= markers && markers <= upper, "the rolled-back disk is not the snapshot: " + seen);
        assertEquals(String.valueOf(markers), m.group(3), "markers missing in between: " + seen);
        assertTrue(after.lines().contains("BIG absent") && after.lines().contains("BASE " + BASE_TEXT), after.describe());
        fsck(vm);

        // A clone of the snapshot boots beside the original; each keeps its own writes.
        Path vm2 = mp.resolve("vm2");
        ramdiskfs("clone", mp.resolve(".snap/s1/vm").toString(), vm2.toString()).assertOk();
        Guest original = boot(kit, "original", vm, COUNTER.formatted("original"));
        Guest clone = boot(kit, "clone", vm2, COUNTER.formatted("clone"));
        for (Guest g : List.of(original, clone)) {
            Matcher c = g.await("MARKERS (\\d+) COMPLETE (\\d+) FILES (\\d+)", BOOT);
            assertEquals(markers, Integer.parseInt(c.group(1)), "the clone and the original both hold the snapshot's markers\n" + g.describe());
        }
        original.awaitPoweroff(RUN);
        clone.awaitPoweroff(RUN);
        assertTrue(original.lines().contains("WHO-BEFORE original"), original.describe());
        assertTrue(clone.lines().contains("WHO-BEFORE none"), clone.describe());
        fsck(vm);
        fsck(vm2);
        assertEquals("original", debugfsCat(vm, "/who"));
        assertEquals("clone", debugfsCat(vm2, "/who"));
        assertEquals(baseSha, sha256(base), "a memdiff disk must never write its image");
    }

    private Guest boot(GuestKit kit, String name, Path disk, String script) {
        Guest g = Guest.boot(kit, disks.testDir(), name, disk, script);
        guests.add(g);
        return g;
    }

    /** A 96 MiB ext4 image with a few files, made by mkfs.ext4 -d (no loop device, no mount). */
    static Path baseImage(MountedDisks disks) throws IOException {
        Path src = disks.newDir("base-src");
        Files.createDirectories(src.resolve("base"));
        Files.writeString(src.resolve("base/hello"), BASE_TEXT + "\n");
        for (int i = 0; i < 5; i++) {
            Files.write(src.resolve("base/file" + i), io.ramdiskfs.it.support.Data.randomBytes((int) MiB, 500 + i));
        }
        Path img = disks.testDir().resolve("base.img");
        Files.deleteIfExists(img);
        Cmd.ok("mkfs.ext4", "-q", "-F", "-d", src.toString(), img.toString(), "96M");
        return img;
    }

    /**
     * qemu has exited, but the kernel sends FUSE's RELEASE after the close returns (and a
     * vhost-user session lets go of its hold once it has seen the hang-up), so the disk may count
     * as open for a moment longer: retry EBUSY for a few seconds, nothing else.
     */
    static void rollbackOnceClosed(Path disk, String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Cmd.Result r = ramdiskfs("rollback", disk.toString(), name);
            if (r.ok()) {
                return;
            }
            if (!r.stderr().contains("Device or resource busy") || System.nanoTime() > deadline) {
                throw new AssertionError("rollback after qemu exited\n" + r.describe());
            }
            Await.sleep(200);
        }
    }

    /** e2fsck -fn on a read-only loop device over the disk: exit 0, nothing to fix. */
    private void fsck(Path disk) {
        fsck(disks, disk);
    }

    static void fsck(MountedDisks disks, Path disk) {
        String dev = disks.attachLoop(disk, "-r");
        Cmd.run(Duration.ofSeconds(120), "e2fsck", "-fn", dev).assertOk();
        disks.detachLoop(dev);
    }

    static String debugfsCat(Path disk, String file) {
        return Cmd.ok("debugfs", "-R", "cat " + file, disk.toString()).out();
    }

    static String sha256(Path file) {
        return Cmd.ok("sha256sum", file.toString()).out().split("\\s+")[0];
    }

    static Cmd.Result ramdiskfs(String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", CliProcess.jar().toString()));
        cmd.addAll(List.of(args));
        return Cmd.run(Duration.ofSeconds(60), cmd);
    }
}

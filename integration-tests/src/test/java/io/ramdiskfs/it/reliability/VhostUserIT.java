package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountException;
import io.ramdiskfs.MountOptions;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The second door through a real VM: {@code ramdiskfs --vhost-user DIR} serves a memdiff disk and a
 * plain RAM disk on DIR/vm.sock and DIR/raw.sock, and qemu (TCG, two vCPUs, so two queues per
 * device) boots the guest kit on them as vhost-user-blk devices, no FUSE file in qemu's hands.
 * The guest reads what the host wrote through the FUSE file and the host reads back what the guest
 * wrote, byte for byte; blkdiscard and fstrim in the guest give memory back; VmIT's marker
 * scenario runs on the memdiff disk with a snapshot between two markers while the guest is
 * connected, rollback refused with EBUSY while it is and done once it has gone; the next boot sees
 * the snapshot, beside a clone of it on its own socket; a guest killed while it writes lets go of
 * its disk; e2fsck finds both clean, the base image never changes, and at unmount the sockets go.
 */
@RequiresFuse(root = true, tools = {"qemu-system-x86_64", "mkfs.ext4", "e2fsck", "debugfs", "losetup", "setfattr",
        "getfattr", "sha256sum", "apt-get", "apt-cache", "dpkg-deb", "setpriv"})
class VhostUserIT {
    static final String HOST_PATTERN = "host pattern\n";
    static final String GUEST_PATTERN = "guest pattern\n";
    static final long HOST_AT = 8 * MiB;
    static final long GUEST_AT = 16 * MiB;
    static final int HOST_BYTES = (int) MiB;
    static final int GUEST_BYTES = (int) (2 * MiB);
    /** The raw disk, and the size the host grows it to while the guest runs. */
    static final long RAW_BYTES = 64 * MiB;
    static final long RAW_GROWN = 96 * MiB;

    /**
     * On /dev/vdb (the RAM disk): the digest of the host's pattern, the guest's own pattern written
     * and synced, a blkdiscard of it on the host's cue; then VmIT's writer on /dev/vda.
     */
    static final String RAW_THEN_WRITER = """
            set -e
            echo "HOSTPAT $(dd if=/dev/vdb bs=65536 skip=%d count=%d 2>/dev/null | sha256sum | cut -d' ' -f1)"
            yes "guest pattern" | head -c %d | dd of=/dev/vdb bs=65536 seek=%d conv=fsync 2>/dev/null
            echo GUESTPAT
            read cue
            blkdiscard -o %d -l %d /dev/vdb
            echo DISCARDED
            read cue
            n=0
            while [ "$(cat /sys/block/vdb/size)" = %d ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
            echo "VDB-SIZE $(cat /sys/block/vdb/size)"
            read cue
            """.formatted(HOST_AT / 65536, HOST_BYTES / 65536, GUEST_BYTES, GUEST_AT / 65536, GUEST_AT, GUEST_BYTES,
                    RAW_BYTES / 512)
            + VmIT.WRITER;

    /** On /dev/vdb, a read-only disk: what the guest's kernel makes of it, then VmIT's counter on /dev/vda. */
    static final String READ_ONLY_THEN_COUNTER = """
            echo "RO $(cat /sys/block/vdb/ro)"
            if dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; then echo "RO-WRITE done"; else echo "RO-WRITE refused"; fi
            """ + VmIT.COUNTER;

    /** Writes 4 MiB at a time over the disk, synced, until it is killed. */
    static final String SCRIBBLER = """
            i=1
            while true; do
                dd if=/dev/urandom of=/dev/vda bs=65536 count=64 seek=$((i * 64 %% 1024)) conv=fsync 2>/dev/null
                echo "WROTE $i"
                i=$((i + 1))
            done
            """.formatted();

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private final List<Guest> guests = new ArrayList<>();
    private Path sockets;

    /**
     * Runs before MountedDisks unmounts: no qemu may be connected then. The socket directory goes
     * too (a daemon still running finds its sockets already gone, which it does not mind).
     */
    @AfterEach
    void powerOffGuestsAndRemoveTheSocketDirectory() throws IOException {
        guests.forEach(Guest::close);
        if (sockets != null) {
            try (var left = Files.list(sockets)) {
                for (Path p : left.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(sockets);
        }
    }

    @Test
    void aGuestOnVhostUserReadsTheBaseWritesToRamIsSnapshottedRolledBackClonedAndTrimmed() throws IOException {
        GuestKit kit = GuestKit.build();
        Path base = VmIT.baseImage(disks);
        String baseSha = VmIT.sha256(base);
        Path mp = disks.newMountPoint();
        sockets = socketDirectory();
        CliProcess daemon = disks.startCliMounted(mp, "-d", "vm=memdiff:" + base, "-d", "raw=" + RAW_BYTES, "-d", "fixed=16M,ro", "--vhost-user", sockets.toString());
        Path vm = mp.resolve("vm");
        Path raw = mp.resolve("raw");
        assertTrue(Files.exists(sockets.resolve("vm.sock")) && Files.exists(sockets.resolve("raw.sock")),
                "a socket per disk once the mount is live\n" + daemon.describe());
        byte[] hostPattern = pattern(HOST_PATTERN, HOST_BYTES);
        Data.writeAt(raw, HOST_AT, hostPattern);

        // Boot 1: both disks over vhost-user.
        Guest writer = bootVhostUser(kit, "writer", RAW_THEN_WRITER, sockets.resolve("vm.sock"), sockets.resolve("raw.sock"));
        Matcher h = writer.await("HOSTPAT ([0-9a-f]{64})", VmIT.BOOT);
        assertEquals(sha256(hostPattern), h.group(1), "the guest reads what the host wrote through the FUSE file");
        writer.await("GUESTPAT", VmIT.RUN);
        assertArrayEquals(pattern(GUEST_PATTERN, GUEST_BYTES), Data.read(raw, GUEST_AT, GUEST_BYTES),
                "the host reads through the FUSE file what the guest wrote over vhost-user");
        long written = Tools.committedBytes(raw);
        assertEquals(HOST_BYTES + GUEST_BYTES, written, "RAM holds the host's and the guest's bytes, nothing else");
        writer.send("discard");
        writer.await("DISCARDED", VmIT.RUN);
        assertEquals(HOST_BYTES, Tools.committedBytes(raw), "blkdiscard in the guest gives back the 2 MiB it wrote");
        assertArrayEquals(new byte[GUEST_BYTES], Data.read(raw, GUEST_AT, GUEST_BYTES), "a discarded range reads as zeros");
        // A resize on the host reaches the running guest: a configuration change over the
        // backend channel, after which qemu reads the new capacity and interrupts the guest.
        io.ramdiskfs.it.support.Cmd.ok("truncate", "-s", String.valueOf(RAW_GROWN), raw.toString());
        writer.send("go");
        assertEquals(String.valueOf(RAW_GROWN / 512), writer.await("VDB-SIZE (\\d+)", VmIT.RUN).group(1),
                "the guest sees the disk grown from " + RAW_BYTES + " to " + RAW_GROWN + " bytes while connected");
        writer.send("go");
        // One set of counters whichever door the data came through: the host's 1 MiB through the
        // file, the guest's 2 MiB and its discard over vhost-user.
        io.ramdiskfs.status.DiskStatus rawStatus = io.ramdiskfs.status.StatusJson.parse(
                VmIT.ramdiskfs("status", mp.toString(), "--json").assertOk().stdout()).disks().stream()
                .filter(d -> d.name().equals("raw")).findFirst().orElseThrow();
        assertEquals(HOST_BYTES + GUEST_BYTES, rawStatus.writes().bytes(), "status counts vhost-user writes like file writes");
        assertEquals(GUEST_BYTES, rawStatus.discards().bytes(), "status counts the guest's discard");
        assertEquals(0, rawStatus.writes().errors() + rawStatus.reads().errors() + rawStatus.discards().errors());

        // VmIT's scenario on the memdiff disk: the snapshot falls between two of its markers.
        writer.await("BASE " + VmIT.BASE_TEXT, VmIT.RUN);
        writer.await("DONE 10", VmIT.RUN);
        int lower = writer.highest("DONE");
        io.ramdiskfs.it.support.Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s1", vm.toString());
        int upper = writer.highest("BEGIN");
        VmIT.ramdiskfs("rollback", vm.toString(), "s1").assertFailsWith("Device or resource busy");
        assertTrue(writer.isAlive(), "the refused rollback must not disturb the guest");
        writer.await("FILLED", VmIT.RUN);
        long filled = Tools.committedBytes(vm);
        writer.send("trim");
        writer.await("TRIMMED", VmIT.RUN);
        long trimmed = Tools.committedBytes(vm);
        writer.send("off");
        writer.awaitPoweroff(VmIT.RUN);
        assertEquals(VmIT.MARKERS, writer.highest("DONE"), "the guest wrote every marker after the snapshot too");
        assertTrue(filled - trimmed >= 24 * MiB, "fstrim in the guest must give back most of the 32 MiB it deleted:"
                + " committed bytes " + filled + " -> " + trimmed);
        String marker = "marker " + VmIT.MARKERS + "\n";
        assertEquals(new String(pattern(marker, 65536), StandardCharsets.US_ASCII).strip(), VmIT.debugfsCat(vm, "/m" + VmIT.MARKERS),
                "the guest's last marker file, read through the FUSE file on the host");

        // Rollback once the guest has gone; the next boot sees the snapshot, a clone of it beside.
        VmIT.rollbackOnceClosed(vm, "s1");
        Path vm2 = mp.resolve("vm2");
        VmIT.ramdiskfs("clone", mp.resolve(".snap/s1/vm").toString(), vm2.toString()).assertOk();
        Await.until(Duration.ofSeconds(5), () -> Files.exists(sockets.resolve("vm2.sock")), () -> "vm2.sock comes with the clone");
        Guest original = bootVhostUser(kit, "original", READ_ONLY_THEN_COUNTER.formatted("original"), sockets.resolve("vm.sock"),
                sockets.resolve("fixed.sock"));
        Guest clone = bootVhostUser(kit, "clone", VmIT.COUNTER.formatted("clone"), sockets.resolve("vm2.sock"));
        int markers = -1;
        for (Guest g : List.of(original, clone)) {
            Matcher c = g.await("MARKERS (\\d+) COMPLETE (\\d+) FILES (\\d+)", VmIT.BOOT);
            int n = Integer.parseInt(c.group(1));
            int complete = Integer.parseInt(c.group(2));
            String seen = "markers " + n + " (" + complete + " complete, " + c.group(3) + " files); synced before the snapshot "
                    + lower + ", begun before it returned " + upper + "\n" + g.describe();
            assertTrue(lower <= complete && complete <= n && n <= upper, "the rolled-back disk is not the snapshot: " + seen);
            assertEquals(String.valueOf(n), c.group(3), "markers missing in between: " + seen);
            assertEquals("absent", g.await("BIG (\\w+)", VmIT.RUN).group(1), "the file written after the snapshot\n" + g.describe());
            g.await("BASE " + VmIT.BASE_TEXT, VmIT.RUN);
            assertTrue(markers < 0 || markers == n, "the clone and the original both hold the snapshot's markers");
            markers = n;
        }
        original.awaitPoweroff(VmIT.RUN);
        clone.awaitPoweroff(VmIT.RUN);
        assertTrue(original.lines().contains("RO 1") && original.lines().contains("RO-WRITE refused"),
                "a ro disk is a read-only device\n" + original.describe());
        assertEquals(0, Tools.committedBytes(mp.resolve("fixed")), "nothing reached the read-only disk");
        assertTrue(original.lines().contains("WHO-BEFORE none"), original.describe());
        assertTrue(clone.lines().contains("WHO-BEFORE none"), clone.describe());

        // A guest killed while it writes: its hold goes with the connection (rollback accepted), the
        // disk is as the snapshot before it, and the daemon serves on.
        io.ramdiskfs.it.support.Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "before-kill", vm2.toString());
        Guest killed = bootVhostUser(kit, "killed", SCRIBBLER, sockets.resolve("vm2.sock"));
        killed.await("WROTE 2", VmIT.BOOT);
        killed.close(); // SIGKILL, mid-request
        VmIT.rollbackOnceClosed(vm2, "before-kill");
        VmIT.fsck(disks, vm);
        VmIT.fsck(disks, vm2);
        assertEquals("original", VmIT.debugfsCat(vm, "/who"));
        assertEquals("clone", VmIT.debugfsCat(vm2, "/who"));
        assertEquals(baseSha, VmIT.sha256(base), "a memdiff disk must never write its image");
        System.out.println("VhostUserIT: snapshot between markers " + lower + " and " + upper + ", rolled back to " + markers
                + "; committed bytes " + filled + " -> " + trimmed + " after fstrim");

        // Unmount: the sockets go with the mount.
        assertTrue(daemon.isAlive(), "the daemon serves on after a guest was killed mid-write\n" + daemon.describe());
        daemon.signal("TERM");
        assertEquals(0, daemon.awaitExit(Duration.ofSeconds(30)), daemon.describe());
        for (String s : List.of("vm.sock", "vm2.sock", "raw.sock", "fixed.sock")) {
            assertFalse(Files.exists(sockets.resolve(s)), s + " is removed at unmount");
        }
    }

    /**
     * The Java API: the door opens with the mount, follows the namespace (a disk created by
     * truncate, renamed by mv, chmod, rm), closes with it; a door that cannot open fails the mount
     * and leaves nothing mounted.
     */
    @Test
    void theJavaApiServesEveryDiskOfTheMountAndTheSocketsFollowTheNamespace() throws Exception {
        sockets = socketDirectory();
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("a", MiB)).withVhostUser(sockets));
        Path mp = fs.mountPoint();
        assertEquals(sockets.resolve("a.sock"), fs.vhostUserSocket("a"));
        assertTrue(isSocket(sockets.resolve("a.sock")), "a.sock is there once mount() returns");
        io.ramdiskfs.it.support.Cmd.ok("truncate", "-s", "1M", mp.resolve("b").toString());
        Await.until(Duration.ofSeconds(5), () -> isSocket(sockets.resolve("b.sock")), () -> "b.sock comes with truncate");
        io.ramdiskfs.it.support.Cmd.ok("mv", mp.resolve("b").toString(), mp.resolve("c").toString());
        Await.until(Duration.ofSeconds(5), () -> isSocket(sockets.resolve("c.sock")) && !Files.exists(sockets.resolve("b.sock")),
                () -> "the socket follows mv b c");
        io.ramdiskfs.it.support.Cmd.ok("chmod", "600", mp.resolve("c").toString());
        Await.until(Duration.ofSeconds(5), () -> modeOf(sockets.resolve("c.sock")).equals("rw-------"),
                () -> "chmod of the disk applies to its socket: " + modeOf(sockets.resolve("c.sock")));
        Files.delete(mp.resolve("c"));
        Await.until(Duration.ofSeconds(5), () -> !Files.exists(sockets.resolve("c.sock")), () -> "the socket goes with rm");
        fs.close();
        try (var left = Files.list(sockets)) {
            assertEquals(List.of(), left.toList(), "unmount removes every socket");
        }

        Path file = Files.writeString(sockets.resolve("not-a-directory"), "x");
        Path mp2 = disks.newMountPoint();
        MountException e = org.junit.jupiter.api.Assertions.assertThrows(MountException.class,
                () -> RamDiskFs.mount(MountOptions.of(mp2, List.of(DiskDefinition.ram("a", MiB))).withVhostUser(file)));
        assertEquals("the vhost-user socket directory " + file + " is not a directory", e.getMessage());
        assertFalse(io.ramdiskfs.it.support.MountInfo.isMounted(mp2), "a mount whose door cannot open is undone");
    }

    /**
     * One VM per disk, but a peer that may only read the disk (here {@code nobody}, by the file's
     * 0644) must not keep out one that may write: the writer takes the disk over and the reader is
     * disconnected; a reader arriving while the writer is connected is refused. It used to be
     * first come, first served: any reader could hold the owner's VM out.
     */
    @Test
    void aFrontEndThatMayWriteTakesTheDiskOverFromOneThatMayOnlyRead() throws Exception {
        sockets = socketDirectory();
        Files.setPosixFilePermissions(sockets, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        RamDiskFs fs = disks.mount(disks.options(DiskDefinition.ram("a", MiB)).withVhostUser(sockets));
        Path sock = fs.vhostUserSocket("a");
        String client = "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('connected', flush=True);"
                + " print('closed' if s.recv(1) == b'' else 'data', flush=True)";
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", client,
                sock.toString());
        Process reader = new ProcessBuilder(asNobody).redirectErrorStream(true).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(reader.getInputStream()));
            assertEquals("connected", lineWithin(out), "nobody may read the 0644 disk, so may connect");
            try (java.nio.channels.SocketChannel writer = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(sock))) {
                assertEquals("closed", lineWithin(out), "the reader is disconnected when the owner's front end comes");
                // The writer is served: GET_FEATURES over the wire.
                java.nio.ByteBuffer m = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                m.putInt(1).putInt(1).putInt(0).flip();
                writer.write(m);
                java.nio.ByteBuffer r = java.nio.ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (r.hasRemaining() && writer.read(r) >= 0) { }
                assertFalse(r.hasRemaining(), "the writer gets its GET_FEATURES reply");
                Process late = new ProcessBuilder(asNobody).redirectErrorStream(true).start();
                var lateOut = new java.io.BufferedReader(new java.io.InputStreamReader(late.getInputStream()));
                assertEquals("connected", lineWithin(lateOut));
                assertEquals("closed", lineWithin(lateOut), "a reader is refused while the writer is connected");
                assertTrue(late.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            reader.destroyForcibly();
            reader.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The next line a client prints, or a note that none came within 10 s (no test waits forever). */
    private static String lineWithin(java.io.BufferedReader out) throws Exception {
        var line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return "read failed: " + e.getMessage();
            }
        });
        try {
            return line.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return "(nothing within 10 s)";
        }
    }

    /**
     * A socket's path must fit in sun_path (107 bytes), for the door and for qemu alike, and the
     * test's own directory under target/it is too deep: a directory of its own under /run (the
     * test runs as root; not /tmp, which the suite leaves to the machine's other users).
     */
    private static Path socketDirectory() throws IOException {
        return Files.createTempDirectory(Path.of("/run"), "ramdiskfs-vu");
    }

    /** A Unix socket file (S_IFSOCK) at {@code p}. */
    private static boolean isSocket(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0140000;
        } catch (IOException e) {
            return false;
        }
    }

    private static String modeOf(Path p) {
        try {
            return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private Guest bootVhostUser(GuestKit kit, String name, String script, Path... sockets) {
        Guest g = Guest.bootVhostUser(kit, disks.testDir(), name, List.of(sockets), script);
        guests.add(g);
        return g;
    }

    /** What {@code yes TEXT | head -c LEN} prints, TEXT ending in its newline. */
    static byte[] pattern(String line, int len) {
        byte[] unit = line.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            out[i] = unit[i % unit.length];
        }
        return out;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}

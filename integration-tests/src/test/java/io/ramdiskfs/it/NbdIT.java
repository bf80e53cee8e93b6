package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.Nbdkit;
import io.ramdiskfs.it.support.NetnsPair;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The disks of a mount to other hosts through a standard NBD server (SPEC section 9):
 * {@code nbdkit file dir=MOUNT} exports every disk by name, {@code dir=MOUNT/.snap/NAME} with
 * {@code -r} one snapshot read-only. Real clients over real sockets: {@code nbdinfo},
 * {@code qemu-img}, {@code qemu-io} and {@code nbdcopy} over a Unix socket, and over TCP between
 * two network namespaces made by the test (server in one, client in the other, joined by a veth
 * pair), in the clear and with TLS (a pre-shared key). Holes come through as holes
 * ({@code base:allocation} from SEEK_DATA/SEEK_HOLE), trim and write-zeroes as punched holes whose
 * memory the mount gives back, and copies of a thin disk take time in proportion to its data.
 */
@RequiresFuse(root = true, tools = {"nbdkit", "nbdinfo", "nbdcopy", "qemu-img", "qemu-io", "ip", "python3"})
class NbdIT {
    static final long GiB = 1024 * MiB;
    /** Reading 100 GiB of zeros through FUSE and NBD would take minutes; its 16 MiB of data take well under a second. */
    static final Duration QUICK = Duration.ofSeconds(30);
    private static final Pattern REFUSED = Pattern.compile("(?i)read-only|permission denied|not permitted");
    private static final Pattern EXPORT = Pattern.compile("export=\"([^\"]*)\":\\s*\\n\\s*export-size: (\\d+)");

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** A mount with three thin disks: 10 GiB with 16 MiB of data at 1 GiB, 64 MiB empty, 100 GiB with 16 MiB at 50 GiB. */
    private Path mountWithData() {
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "--memory-limit", "1G", "-d", "thin=10G", "-d", "small=64M", "-d", "big=100G");
        Path data = Data.random(disks.testDir().resolve("data-" + System.nanoTime()), 16 * MiB, 7);
        Tools.dd("if=" + data, "of=" + mp.resolve("thin"), "bs=1M", "seek=1024", "conv=notrunc", "oflag=direct");
        Tools.dd("if=" + data, "of=" + mp.resolve("big"), "bs=1M", "seek=" + 50 * 1024, "conv=notrunc", "oflag=direct");
        return mp;
    }

    private static String unix(Path socket, String export) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    /** Export name to size, from {@code nbdinfo --list}. */
    private static java.util.Map<String, Long> exports(Cmd.Result list) {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        Matcher e = EXPORT.matcher(list.stdout());
        while (e.find()) {
            m.put(e.group(1), Long.parseLong(e.group(2)));
        }
        return m;
    }

    /** The data extents of {@code nbdinfo --map}: [offset, length] pairs. */
    private static List<long[]> dataExtents(Cmd.Result map) {
        List<long[]> data = new ArrayList<>();
        for (String line : map.stdout().lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[3].equals("data")) {
                data.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
            } else if (f.length >= 4 && !f[3].startsWith("hole")) {
                throw new AssertionError("an extent neither data nor hole: " + line + "\n" + map.describe());
            }
        }
        return data;
    }

    private static final java.util.Map<String, Long> SIZES = java.util.Map.of("thin", 10 * GiB, "small", 64 * MiB, "big", 100 * GiB);

    @Test
    void overAUnixSocketEveryDiskHolesTrimAndASnapshotReadOnly() throws Exception {
        Path mp = mountWithData();
        Path dir = disks.newDir("nbd");
        // A socket's path has at most 107 bytes: the sockets go in a short directory of their own.
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "rdfs-nbd-");
        Path socket = sockets.resolve("nbd.sock");
        try (Nbdkit server = Nbdkit.start(dir, "nbdkit", List.of(), List.of("-U", socket.toString(), "file", "dir=" + mp))) {
            // Every disk of the mount, by name, at its size (.snap is not a disk).
            Cmd.Result list = Cmd.run("nbdinfo", "--list", unix(socket, "")).assertOk();
            assertEquals(SIZES, exports(list), list.describe());

            // The 10 GiB disk holding 16 MiB: one data extent, where the data is, and holes.
            Cmd.Result map = Cmd.run("nbdinfo", "--map", unix(socket, "thin")).assertOk();
            List<long[]> data = dataExtents(map);
            assertEquals(16 * MiB, data.stream().mapToLong(d -> d[1]).sum(), map.describe());
            assertEquals(1, data.size(), map.describe());
            assertEquals(GiB, data.get(0)[0], map.describe());
            Cmd.Result compare = Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve("thin").toString(), unix(socket, "thin"));
            compare.assertOk();
            assertTrue(compare.stdout().contains("Images are identical"), compare.describe());

            // qemu-io writes land in the disk; discard and write-zeroes give the memory back.
            Path small = mp.resolve("small");
            Path pattern = dir.resolve("pattern");
            byte[] ab = new byte[(int) (4 * MiB)];
            java.util.Arrays.fill(ab, (byte) 0xab);
            Files.write(pattern, ab);
            Cmd.run("qemu-io", "-f", "raw", "-c", "write -P 0xab 1M 4M", unix(socket, "small")).assertOk();
            Tools.cmp(pattern, 0, small, MiB, 4 * MiB);
            Tools.cmpZeros(small, 0, MiB);
            assertEquals(4 * MiB, Tools.committedBytes(small));
            Cmd.run("qemu-io", "-f", "raw", "-c", "discard 1M 2M", unix(socket, "small")).assertOk();
            Tools.cmpZeros(small, 0, 3 * MiB);
            Tools.cmp(pattern, 0, small, 3 * MiB, 2 * MiB);
            assertEquals(2 * MiB, Tools.committedBytes(small), "a discard over NBD is a punched hole");
            Cmd.run("qemu-io", "-f", "raw", "-c", "write -z 3M 2M", unix(socket, "small")).assertOk();
            Tools.cmpZeros(small, 0, 64 * MiB);
            assertEquals(0, Tools.committedBytes(small), "write-zeroes over NBD frees the memory too");

            // A snapshot, exported read-only: its data, and no writes.
            Cmd.ok("mkdir", mp.resolve(".snap/s1").toString());
            Cmd.run("qemu-io", "-f", "raw", "-c", "write -P 0xcd 1G 1M", unix(socket, "thin")).assertOk(); // after the snapshot
            Path snapSocket = sockets.resolve("snap.sock");
            try (Nbdkit snap = Nbdkit.start(dir, "nbdkit-snap", List.of(),
                    List.of("-r", "-U", snapSocket.toString(), "file", "dir=" + mp.resolve(".snap/s1")))) {
                Cmd.Result info = Cmd.run("nbdinfo", unix(snapSocket, "thin")).assertOk();
                assertTrue(info.stdout().contains("is_read_only: true"), info.describe());
                Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve(".snap/s1/thin").toString(), unix(snapSocket, "thin"))
                        .assertOk();
                assertNotEquals(0, Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve("thin").toString(),
                        unix(snapSocket, "thin")).exitCode(), "the export is the snapshot, not the disk written since");
                Cmd.Result write = Cmd.run("qemu-io", "-f", "raw", "-c", "write -P 0xee 0 64k", unix(snapSocket, "thin"));
                assertNotEquals(0, write.exitCode(), write.describe());
                assertTrue(REFUSED.matcher(write.stderr()).find(), write.describe());
                Cmd.Result nbdWrite = Cmd.run("nbdcopy", pattern.toString(), unix(snapSocket, "small"));
                assertNotEquals(0, nbdWrite.exitCode(), nbdWrite.describe());
                assertTrue(REFUSED.matcher(nbdWrite.stderr()).find(), nbdWrite.describe());
                Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve(".snap/s1/thin").toString(), unix(snapSocket, "thin"))
                        .assertOk();
            }

            heldOpenByAClient(mp, dir, socket);

            // nbdcopy of the 100 GiB disk by its data: to nothing, and to a sparse file equal to it.
            Cmd.Result toNull = Cmd.run(QUICK, "nbdcopy", unix(socket, "big"), "null:").assertOk();
            Path copy = dir.resolve("big.raw");
            Cmd.Result toFile = Cmd.run(QUICK, "nbdcopy", unix(socket, "big"), copy.toString()).assertOk();
            try {
                SparseClientsIT.assertSameSparse(mp.resolve("big"), copy);
                assertTrue(Tools.du(copy) <= 32 * MiB, "the copy holds the data, not 100 GiB: " + Tools.du(copy));
            } finally {
                Files.deleteIfExists(copy);
            }
            System.out.println("nbdcopy of a 100 GiB disk holding 16 MiB: " + toNull.took().toMillis() + " ms to null:, "
                    + toFile.took().toMillis() + " ms to a file");
            // qemu-img convert skips the holes too.
            Path converted = dir.resolve("thin.raw");
            Cmd.run(QUICK, "qemu-img", "convert", "-f", "raw", "-O", "raw", unix(socket, "thin"), converted.toString()).assertOk();
            try {
                SparseClientsIT.assertSameSparse(mp.resolve("thin"), converted);
            } finally {
                Files.deleteIfExists(converted);
            }
        } finally {
            Cmd.run("rm", "-rf", sockets.toString());
        }
    }

    /**
     * nbdkit opens a disk for writing per connection: while a client is connected a snapshot of it
     * works and a rollback is refused with EBUSY (as for any writer of the file); once it has gone,
     * the rollback is done.
     */
    private static void heldOpenByAClient(Path mp, Path dir, Path socket) throws Exception {
        Path small = mp.resolve("small").toRealPath(); // as /proc/PID/fd links name it
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "held0", small.toString());
        Process client = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "sleep 20000", unix(socket, "small"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("held.log").toFile()).start();
        long pid = Long.parseLong(Files.readString(dir.resolve("nbdkit.pid")).strip());
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!opens(pid, small)) {
                assertTrue(client.isAlive() && System.nanoTime() < deadline, "nbdkit never opened " + small + ": "
                        + Files.readString(dir.resolve("held.log")));
                Thread.sleep(20);
            }
            Cmd.Result rollback = Cmd.run("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "held0", small.toString());
            assertNotEquals(0, rollback.exitCode(), rollback.describe());
            assertTrue(rollback.stderr().contains("Device or resource busy"), rollback.describe());
            Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "held1", small.toString());
        } finally {
            client.destroy();
            client.waitFor();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (opens(pid, small)) {
            assertTrue(System.nanoTime() < deadline, "nbdkit still holds " + small + " after its client left");
            Thread.sleep(20);
        }
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.rollback", "-v", "held0", small.toString());
        Cmd.ok("rm", mp.resolve(".snap/held0/small").toString(), mp.resolve(".snap/held1/small").toString());
    }

    /** Whether process PID has FILE open (one of its /proc/PID/fd links points at it). */
    private static boolean opens(long pid, Path file) throws java.io.IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (java.io.IOException e) {
                    return false; // closed meanwhile
                }
            });
        }
    }

    @Test
    void overTcpBetweenTwoNetworkNamespacesInTheClearAndWithTls() throws Exception {
        Path mp = mountWithData();
        Path dir = disks.newDir("nbd-tcp");
        Path psk = dir.resolve("keys.psk");
        Files.writeString(psk, "alice:" + java.util.HexFormat.of().formatHex(Data.randomBytes(32, 11)) + "\n");
        Cmd.ok("chmod", "600", psk.toString());
        try (NetnsPair net = NetnsPair.create();
                Nbdkit clear = Nbdkit.start(dir, "nbdkit-tcp", net.inServer(),
                        List.of("-i", net.serverAddress(), "-p", "10809", "file", "dir=" + mp));
                Nbdkit tls = Nbdkit.start(dir, "nbdkit-tls", net.inServer(), List.of("-i", net.serverAddress(), "-p", "10810",
                        "--tls=require", "--tls-psk=" + psk, "file", "dir=" + mp))) {
            String host = net.serverAddress();
            Cmd.Result list = net.inClient("nbdinfo", "--list", "nbd://" + host + ":10809").assertOk();
            assertEquals(SIZES, exports(list), list.describe());
            Cmd.Result map = net.inClient("nbdinfo", "--map", "nbd://" + host + ":10809/thin").assertOk();
            assertEquals(List.of(GiB + ":" + 16 * MiB), dataExtents(map).stream().map(d -> d[0] + ":" + d[1]).toList(), map.describe());
            net.inClient("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve("thin").toString(), "nbd://" + host + ":10809/thin")
                    .assertOk();
            Cmd.Result copy = net.inClient("nbdcopy", "nbd://" + host + ":10809/big", "null:").assertOk();
            assertTrue(copy.took().compareTo(QUICK) < 0, copy.describe());

            // TLS required: a client in the clear is refused; one with the key gets the same disk.
            Cmd.Result plain = net.inClient("nbdinfo", "nbd://" + host + ":10810/thin");
            assertNotEquals(0, plain.exitCode(), plain.describe());
            String secure = "nbds://alice@" + host + ":10810/thin?tls-psk-file=" + psk;
            Cmd.Result info = net.inClient("nbdinfo", secure).assertOk();
            assertTrue(info.stdout().contains("TLS"), info.describe());
            net.inClient("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "nbd://" + host + ":10809/small").assertOk();
            Cmd.Result viaTls = net.inClient("nbdcopy", secure.replace("/thin?", "/small?"), dir.resolve("small.raw").toString());
            viaTls.assertOk();
            Tools.cmp(mp.resolve("small"), dir.resolve("small.raw"));
        }
        Set<String> left = new TreeSet<>(Cmd.ok("ip", "netns", "list").out().lines().filter(l -> l.startsWith("rdfs-")).toList());
        assertFalse(left.stream().anyMatch(l -> l.contains("-" + ProcessHandle.current().pid() % 10000 + " ")
                || l.endsWith("-" + ProcessHandle.current().pid() % 10000)), "the namespaces are gone: " + left);
    }
}

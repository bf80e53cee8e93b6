package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.ForNobody;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --passthrough} without CAP_SYS_ADMIN: the daemon runs as {@code nobody} (mounting through
 * the setuid fusermount), says in one log line why the disk is not on the fast lane, and serves
 * it on the FUSE path: data written by the user reads back, a punched hole frees its memory.
 *
 * <p>Everything nobody touches (the jar and its lib/, the data, the mount point) lives in a
 * world-readable directory under /tmp: a clean clone may sit in a mode-700 directory nobody
 * cannot enter. nobody must also be able to open /dev/fuse, which is mode 666 on most systems but
 * 600 on some (this one): so the daemon runs in a mount namespace of its own where /dev/fuse is
 * a node of the same device that nobody owns, made by the test; the host's node stays as it is.
 * The mount lives in that namespace too (and goes with the daemon), so the checks enter it
 * ({@code nsenter}); without {@code allow_other} only nobody may look inside, so they run as nobody.
 */
@RequiresFuse(root = true, tools = {"setpriv", "unshare", "nsenter", "mknod", "mount", "dd", "cmp", "getfattr", "fallocate", "du"})
class PassthroughFallbackIT {
    static final long DISK = 16 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    private Path open;

    @BeforeEach
    void openDirectory() throws IOException {
        open = ForNobody.openDirectory("ramdiskfs-fallback-");
    }

    @AfterEach
    void removeDirectory() {
        disks.releaseAll(); // the daemon first: it holds the device node and the mount point
        Cmd.run("rm", "-rf", open.toString());
    }

    private static final List<String> NOBODY = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--");

    /** The daemon: in a new mount namespace with nobody's /dev/fuse bound over the host's, then as nobody. */
    private List<String> daemonWrapper() {
        Path node = open.resolve("fuse");
        Cmd.ok("mknod", "-m", "600", node.toString(), "c", "10", "229");
        Cmd.ok("chown", "nobody:nogroup", node.toString());
        return List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" /dev/fuse && exec " + String.join(" ", NOBODY) + " \"$@\"", node.toString());
    }

    /** {@code command} as nobody in the daemon's mount namespace. */
    private static Cmd.Result asNobody(CliProcess daemon, String... command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--target", Long.toString(daemon.pid()), "--mount", "--"));
        cmd.addAll(NOBODY);
        cmd.addAll(List.of(command));
        return Cmd.run(cmd);
    }

    /** A copy of the jar and its lib/ that nobody can read. */
    private Path jarForNobody() throws IOException {
        return ForNobody.jarIn(Files.createDirectory(open.resolve("jar")));
    }

    @Test
    void withoutCapSysAdminTheDiskIsServedOnTheFusePathAndSaysWhyOnce() throws Exception {
        Path mp = Files.createDirectory(open.resolve("mnt"));
        Cmd.ok("chown", "nobody:nogroup", mp.toString());
        Path data = Data.random(open.resolve("data"), DISK, 31);
        Cmd.ok("chmod", "a+r", data.toString());

        CliProcess p = disks.startCli(mp, daemonWrapper(), jarForNobody(),
                List.of("--passthrough", "--memory-limit", "64M", "-d", "disk0=" + DISK, mp.toString()));
        awaitMountInItsNamespace(p, mp);
        assertEquals("65534", Cmd.ok("stat", "-c", "%u", "/proc/" + p.pid()).out(), "the daemon runs as nobody");

        List<String> why = p.stderr().lines().filter(l -> l.contains("passthrough") && !l.contains("mounted ")).toList();
        assertEquals(1, why.size(), "one line about the fast lane:\n" + p.stderr());
        assertTrue(why.get(0).contains("CAP_SYS_ADMIN") && why.get(0).contains("plain RAM disks"),
                "the line says why and what happens instead: " + why.get(0));

        Path disk = mp.resolve("disk0");
        String layers = asNobody(p, "getfattr", "-n", "user.ramdiskfs.layers", "--only-values", disk.toString()).assertOk().out();
        assertTrue(layers.startsWith("ram"), "a RAM disk on the FUSE path, not a passthrough file: " + layers);
        asNobody(p, "dd", "if=" + data, "of=" + disk, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();
        asNobody(p, "cmp", data.toString(), disk.toString()).assertOk();
        asNobody(p, "dd", "if=" + data, "of=" + disk, "bs=4k", "count=1", "seek=3", "skip=100", "conv=notrunc").assertOk();
        asNobody(p, "cmp", "-n", "4096", "-i", 100 * 4096 + ":" + 3 * 4096, data.toString(), disk.toString()).assertOk();
        asNobody(p, "fallocate", "--punch-hole", "--offset", "0", "--length", Long.toString(8 * MiB), disk.toString()).assertOk();
        asNobody(p, "cmp", "-n", Long.toString(8 * MiB), "/dev/zero", disk.toString()).assertOk();
        asNobody(p, "cmp", "-n", Long.toString(8 * MiB), "-i", 8 * MiB + ":" + 8 * MiB, data.toString(), disk.toString())
                .assertOk();
        String du = asNobody(p, "du", "-B1", disk.toString()).assertOk().out();
        assertEquals(Long.toString(8 * MiB), du.split("\\s+")[0], "du after punching half: the memory held");

        p.signal("TERM");
        assertEquals(0, p.awaitExit(java.time.Duration.ofSeconds(30)), "a clean stop:\n" + p.describe());
        assertTrue(p.stderr().contains("unmounted " + mp), "it unmounted what it mounted:\n" + p.stderr());
    }

    /**
     * Until the daemon's namespace lists the mount and the daemon said "mounted": the test's own
     * namespace never sees it, so {@link CliProcess#awaitMount} cannot be used.
     */
    private static void awaitMountInItsNamespace(CliProcess p, Path mp) throws Exception {
        long deadline = System.nanoTime() + CliProcess.MOUNT_TIMEOUT.toNanos();
        Path mountinfo = Path.of("/proc/" + p.pid() + "/mountinfo");
        while (true) {
            if (p.stderr().contains("mounted " + mp) && p.isAlive()
                    && Files.readString(mountinfo).contains(" " + mp + " ")) {
                return;
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("ramdiskfs as nobody did not mount " + mp + "\n" + p.describe());
            }
            Thread.sleep(50);
        }
    }
}

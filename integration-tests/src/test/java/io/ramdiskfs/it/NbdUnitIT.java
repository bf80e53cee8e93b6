package io.ramdiskfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ramdiskfs-nbd@.service}, installed by {@code bin/install} beside {@code ramdiskfs@.service}:
 * bound to the mount unit of the same instance and ordered after it (so it starts once the mount
 * is live, which that unit's READY=1 says, and stops with it), checked by
 * {@code systemd-analyze verify}. systemd is not PID 1 here, so the test does what systemd would:
 * the mount unit's ExecStart, then the NBD unit's ExecStart with the instance's specifiers and
 * its environment file expanded, and real clients see every disk of that mount. Its fstab twin,
 * {@code ramdiskfs-nbd-fstab@.service}, is the same bound to the {@code .mount} unit systemd makes of
 * an fstab line, over a mount made by the mount helper as mount(8) runs it for that line.
 */
@RequiresFuse(root = true, tools = {"nbdkit", "nbdinfo", "qemu-img", "systemd-analyze", "systemd-escape", "dd"})
class NbdUnitIT {
    private static final String UNIT = "ramdiskfs-nbd@.service";
    private static final String FSTAB_UNIT = "ramdiskfs-nbd-fstab@.service";
    private static Path prefix;
    private static Path units;
    private static Path sbin;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @BeforeAll
    static void install() throws IOException {
        Path root = Path.of(System.getProperty("ramdiskfs.it.dir", "target/it")).toAbsolutePath().resolve("NbdUnitIT-install");
        Files.createDirectories(root);
        Path base = Files.createTempDirectory(root, "prefix-");
        prefix = base.resolve("usr");
        units = base.resolve("units");
        sbin = base.resolve("sbin");
        // The mount helper into the prefix, not /sbin: ServiceIT owns /sbin/mount.fuse.ramdiskfs.
        Cmd.run(List.of("env", "RAMDISKFS_NO_BUILD=1", "RAMDISKFS_SBIN_DIR=" + sbin, "RAMDISKFS_UNIT_DIR=" + units,
                ServiceIT.repo().resolve("bin/install").toString(), prefix.toString())).assertOk();
    }

    @AfterAll
    static void uninstall() {
        if (prefix != null) {
            Cmd.run(ServiceIT.repo().resolve("bin/install").toString(), "--uninstall", prefix.toString()).assertOk();
            assertFalse(Files.exists(units.resolve(UNIT)), "the uninstall removed " + UNIT);
            assertFalse(Files.exists(units.resolve(FSTAB_UNIT)), "the uninstall removed " + FSTAB_UNIT);
        }
    }

    private static String unit() throws IOException {
        return Files.readString(units.resolve(UNIT));
    }

    private static String fstabUnit() throws IOException {
        return Files.readString(units.resolve(FSTAB_UNIT));
    }

    /** The value of {@code Key=} in the unit (the last one, as systemd takes it for single-valued keys). */
    private static String value(String unit, String key) {
        String v = null;
        for (String line : unit.lines().toList()) {
            if (line.startsWith(key + "=")) {
                v = line.substring(key.length() + 1);
            }
        }
        if (v == null) {
            throw new AssertionError("no " + key + "= in\n" + unit);
        }
        return v;
    }

    @Test
    void theUnitBindsToTheMountOfItsInstanceAndVerifies() throws Exception {
        String unit = unit();
        assertEquals("ramdiskfs@%i.service", value(unit, "BindsTo"));
        assertTrue(value(unit, "After").contains("ramdiskfs@%i.service"), unit);
        String exec = value(unit, "ExecStart");
        assertTrue(exec.startsWith("/") && exec.contains("nbdkit --foreground $NBDKIT_OPTIONS file dir=%f"), exec);
        assertTrue(Files.isExecutable(Path.of(exec.split(" ")[0])), "nbdkit is where the unit says: " + exec);
        assertEquals("multi-user.target", value(unit, "WantedBy"));

        // Instances of both templates, as systemd would load them for one mount point.
        Path scratch = disks.newDir("verify");
        String instance = Cmd.ok("systemd-escape", "--path", "/mnt/rd").out();
        Path mountUnit = scratch.resolve("ramdiskfs@" + instance + ".service");
        Path nbdUnit = scratch.resolve("ramdiskfs-nbd@" + instance + ".service");
        Files.copy(units.resolve("ramdiskfs@.service"), mountUnit);
        Files.copy(units.resolve(UNIT), nbdUnit);
        Cmd.Result verify = Cmd.run("systemd-analyze", "verify", "--man=no", nbdUnit.toString(), mountUnit.toString());
        verify.assertOk();
        assertEquals("", verify.stderr().strip(), verify.describe());
    }

    @Test
    void theFstabTwinBindsToTheMountUnitOfItsInstanceAndVerifies() throws Exception {
        String unit = fstabUnit();
        assertEquals("%i.mount", value(unit, "BindsTo"));
        assertTrue(value(unit, "After").contains("%i.mount"), unit);
        assertEquals(value(unit(), "ExecStart"), value(unit, "ExecStart"), "one nbdkit command line for both");
        assertEquals(value(unit(), "EnvironmentFile"), value(unit, "EnvironmentFile"), "one options file for both");

        // The mount unit systemd-fstab-generator makes of the README's fstab line, beside an instance of the twin.
        Path scratch = disks.newDir("verify-fstab");
        String instance = Cmd.ok("systemd-escape", "--path", "/mnt/rd").out();
        assertEquals("mnt-rd", instance, "the instance is the mount unit's name without .mount");
        Path mountUnit = Files.writeString(scratch.resolve(instance + ".mount"), "[Unit]\nDescription=/mnt/rd from fstab\n\n[Mount]\n"
                + "What=ramdiskfs\nWhere=/mnt/rd\nType=fuse.ramdiskfs\nOptions=disk=vm=8G,memory_limit=10G,nofail\n");
        Path nbdUnit = scratch.resolve("ramdiskfs-nbd-fstab@" + instance + ".service");
        Files.copy(units.resolve(FSTAB_UNIT), nbdUnit);
        Cmd.Result verify = Cmd.run("systemd-analyze", "verify", "--man=no", nbdUnit.toString(), mountUnit.toString());
        verify.assertOk();
        assertEquals("", verify.stderr().strip(), verify.describe());
    }

    @Test
    void theFstabTwinExportsAMountMadeByTheMountHelper() throws Exception {
        Path mp = disks.newMountPoint();
        String instance = Cmd.ok("systemd-escape", "--path", mp.toString()).out();
        Path dir = disks.newDir("nbd-fstab");
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "rdfs-nbdfstab-");
        Path socket = sockets.resolve("nbd.sock");
        Path pidfile = dir.resolve("nbdkit.pid");
        Process nbd = null;
        try {
            // What mount(8) runs for the fstab line: the helper returns once the mount is live.
            Cmd.run(List.of(sbin.resolve("mount.fuse.ramdiskfs").toString(), "ramdiskfs", mp.toString(), "-o",
                    "disk=disk0=64M,disk=vm=1G,memory_limit=256M,nofail")).assertOk();
            assertTrue(MountInfo.isLiveRamdiskfs(mp));
            Cmd.ok("dd", "if=/dev/urandom", "of=" + mp.resolve("vm"), "bs=1M", "count=4", "seek=100", "conv=notrunc", "oflag=direct",
                    "status=none");
            nbd = start(expand(value(fstabUnit(), "ExecStart"), instance, mp, "NBDKIT_OPTIONS", "-U " + socket + " -P " + pidfile),
                    dir.resolve("nbd.log"));
            await(nbd, () -> Files.exists(pidfile) && Files.size(pidfile) > 0, dir.resolve("nbd.log"));
            Cmd.Result list = Cmd.run("nbdinfo", "--list", "nbd+unix:///?socket=" + socket).assertOk();
            assertTrue(list.stdout().contains("export=\"disk0\"") && list.stdout().contains("export=\"vm\""), list.describe());
            Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve("vm").toString(),
                    "nbd+unix:///vm?socket=" + socket).assertOk();
        } finally {
            stop(nbd);
            if (MountInfo.isMounted(mp)) {
                Cmd.run("umount", mp.toString()).assertOk();
            }
            Cmd.run("rm", "-rf", sockets.toString());
        }
        assertFalse(MountInfo.isMounted(mp), "umount stopped it, as systemctl stop of the .mount unit does");
    }

    @Test
    void itsExecStartExportsEveryDiskOfTheMountOnceLive() throws Exception {
        Path mp = disks.newMountPoint();
        String instance = Cmd.ok("systemd-escape", "--path", mp.toString()).out();
        assertEquals(mp.toString(), Cmd.ok("systemd-escape", "--unescape", "--path", instance).out());
        Path dir = disks.newDir("nbd");
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "rdfs-nbdunit-");
        Path socket = sockets.resolve("nbd.sock");
        Path pidfile = dir.resolve("nbdkit.pid");
        // What /etc/ramdiskfs/INSTANCE.conf and INSTANCE.nbd.conf would hold.
        String mountOptions = "disk=disk0=64M,disk=vm=1G,memory_limit=256M";
        String nbdOptions = "-U " + socket + " -P " + pidfile;
        Process mount = null;
        Process nbd = null;
        try {
            mount = start(expand(value(Files.readString(units.resolve("ramdiskfs@.service")), "ExecStart"), instance, mp,
                    "RAMDISKFS_OPTIONS", mountOptions), dir.resolve("mount.log"));
            await(mount, () -> MountInfo.isLiveRamdiskfs(mp), dir.resolve("mount.log"));
            Cmd.ok("dd", "if=/dev/urandom", "of=" + mp.resolve("vm"), "bs=1M", "count=4", "seek=100", "conv=notrunc", "oflag=direct",
                    "status=none");

            nbd = start(expand(value(unit(), "ExecStart"), instance, mp, "NBDKIT_OPTIONS", nbdOptions), dir.resolve("nbd.log"));
            await(nbd, () -> Files.exists(pidfile) && Files.size(pidfile) > 0, dir.resolve("nbd.log"));
            Cmd.Result list = Cmd.run("nbdinfo", "--list", "nbd+unix:///?socket=" + socket).assertOk();
            assertTrue(list.stdout().contains("export=\"disk0\"") && list.stdout().contains("export=\"vm\""), list.describe());
            Cmd.run("qemu-img", "compare", "-f", "raw", "-F", "raw", mp.resolve("vm").toString(),
                    "nbd+unix:///vm?socket=" + socket).assertOk();
        } finally {
            stop(nbd);
            stop(mount);
            Cmd.run("rm", "-rf", sockets.toString());
        }
        assertFalse(MountInfo.isMounted(mp), "SIGTERM unmounted it, as systemctl stop does");
    }

    /**
     * The ExecStart line as systemd runs it: {@code %i} the instance, {@code %f} its path,
     * {@code ${VAR}} one word, {@code $VAR} split into words at white space.
     */
    private static List<String> expand(String exec, String instance, Path path, String var, String value) {
        List<String> words = new ArrayList<>();
        for (String word : exec.trim().split("\\s+")) {
            String w = word.replace("%i", instance).replace("%f", path.toString());
            if (w.equals("$" + var)) {
                words.addAll(value.isBlank() ? List.of() : Arrays.asList(value.trim().split("\\s+")));
            } else {
                words.add(w.replace("${" + var + "}", value));
            }
        }
        return words;
    }

    private static Process start(List<String> command, Path log) throws IOException {
        return new ProcessBuilder(command).redirectInput(new File("/dev/null")).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }

    private static void await(Process p, Check c, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.ok()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("not up: " + p.info().commandLine().orElse("?") + "\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}

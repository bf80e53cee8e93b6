package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountException;
import io.ramdiskfs.MountOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end, without mounting: a fake mounter records the options and reports
 * the mount gone at once (as if unmounted from outside), so run() returns its exit code.
 */
class CliTest {
    private static final long LIMIT = 7L << 30;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private MountOptions mounted;
    private Mounter mounter = options -> {
        mounted = options;
        FakeMount m = new FakeMount(options.mountPoint());
        m.unmountFromOutside();
        return m;
    };

    private int run(String... args) {
        Cli cli = new Cli(new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8))
                .mounter(mounter).workingDirectory(dir).defaultMemoryLimit(() -> LIMIT);
        return cli.run(args);
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    /** Exit code 2, exactly one line "ramdiskfs: <message>" on stderr, nothing on stdout, nothing mounted. */
    private void assertUsageError(String message, String... args) {
        assertEquals(Cli.USAGE, run(args), err());
        assertEquals("ramdiskfs: " + message + System.lineSeparator(), err());
        assertEquals("", out());
        assertNull(mounted, "nothing is mounted after a usage error");
    }

    private Path image(String name, int size) throws IOException {
        return Files.write(dir.resolve(name), new byte[size]);
    }

    // ---- defaults and every option ----

    @Test
    void defaultsAreDisksDirAndDisk0OfOneGiB() {
        assertEquals(0, run(), err());
        assertEquals(dir.resolve("disks"), mounted.mountPoint());
        assertEquals(List.of(DiskDefinition.ram("disk0", 1L << 30)), mounted.disks());
        assertEquals(512, mounted.sectorSize());
        assertEquals(LIMIT, mounted.memoryLimit());
        assertFalse(mounted.readOnly());
        assertFalse(mounted.allowOther());
        assertTrue(mounted.xattrs());
        assertEquals("", err());
    }

    @Test
    void defaultMountPointIsCreated() {
        assertFalse(Files.exists(dir.resolve("disks")));
        assertEquals(0, run());
        assertTrue(Files.isDirectory(dir.resolve("disks")));
        assertEquals(0, run(), "an existing ./disks is fine");
    }

    @Test
    void defaultMountPointThatCannotBeCreated() {
        Path gone = dir.resolve("gone");
        Cli cli = new Cli(new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8))
                .mounter(mounter).workingDirectory(gone).defaultMemoryLimit(() -> LIMIT);
        assertEquals(1, cli.run());
        assertEquals("ramdiskfs: cannot create the mount point " + gone.resolve("disks") + ": no such file or directory"
                + System.lineSeparator(), err());
        assertNull(mounted);
    }

    @Test
    void explicitMissingMountPointIsNotCreated() {
        mounter = Mounter.RAMDISKFS; // the real one refuses before touching FUSE
        assertEquals(1, run("missing"));
        assertEquals("ramdiskfs: mount point " + dir.resolve("missing") + " does not exist" + System.lineSeparator(), err());
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void mountPointThatIsAFileIsRefusedByTheRealMount() throws IOException {
        Files.writeString(dir.resolve("afile"), "x");
        mounter = Mounter.RAMDISKFS;
        assertEquals(1, run("afile"));
        assertEquals("ramdiskfs: mount point " + dir.resolve("afile") + " is not a directory" + System.lineSeparator(), err());
    }

    @Test
    void explicitMountPointRelativeOrAbsolute() throws IOException {
        Files.createDirectory(dir.resolve("mnt"));
        assertEquals(0, run("mnt"));
        assertEquals(dir.resolve("mnt"), mounted.mountPoint());
        assertEquals(0, run(dir.resolve("mnt").toString()));
        assertEquals(dir.resolve("mnt"), mounted.mountPoint());
        assertFalse(Files.exists(dir.resolve("disks")), "./disks is made only when it is the mount point");
    }

    @Test
    void mountPointAfterDoubleDash() throws IOException {
        Files.createDirectory(dir.resolve("-odd"));
        assertEquals(0, run("--", "-odd"));
        assertEquals(dir.resolve("-odd"), mounted.mountPoint());
    }

    @Test
    void mountPointStartingWithAtIsNotAnArgumentFile() {
        assertEquals(0, run("@mnt"));
        assertEquals(dir.resolve("@mnt"), mounted.mountPoint());
    }

    @Test
    void disks() throws IOException {
        Path img = image("base.raw", 8192);
        assertEquals(0, run("-d", "a=512M", "--disk", "b=0,ro", "--disk=c=8G", "-dd=64k", "-d", "vm=memdiff:base.raw,ro", "-d", "w=memdiff:" + img));
        assertEquals(List.of(
                DiskDefinition.ram("a", 512L << 20),
                DiskDefinition.ram("b", 0).asReadOnly(),
                DiskDefinition.ram("c", 8L << 30),
                DiskDefinition.ram("d", 64 << 10),
                DiskDefinition.memdiff("vm", img).asReadOnly(),
                DiskDefinition.memdiff("w", img)), mounted.disks());
    }

    @Test
    void sectorSize() {
        assertEquals(0, run("--sector-size", "4096", "-d", "x=1G"));
        assertEquals(4096, mounted.sectorSize());
        assertEquals(0, run("--sector-size=512"));
        assertEquals(512, mounted.sectorSize());
    }

    @Test
    void sectorSizeAppliesToDisksGivenBeforeIt() {
        assertUsageError("--disk 'x=2K': size 2K (2048 bytes) is not a multiple of the sector size 4096", "-d", "x=2K", "--sector-size", "4096");
    }

    @Test
    void memoryLimit() {
        assertEquals(0, run("--memory-limit", "6G"));
        assertEquals(6L << 30, mounted.memoryLimit());
        assertEquals(0, run("--memory-limit", "1000"));
        assertEquals(1000, mounted.memoryLimit(), "the budget need not be whole sectors");
        assertEquals(0, run("--memory-limit=0"));
        assertEquals(0, mounted.memoryLimit());
    }

    @Test
    void defaultMemoryLimitIsHalfTheRam() {
        Cli cli = new Cli(new PrintStream(outBytes, true, StandardCharsets.UTF_8), new PrintStream(errBytes, true, StandardCharsets.UTF_8))
                .mounter(mounter).workingDirectory(dir);
        assertEquals(0, cli.run());
        assertEquals(MountOptions.defaultMemoryLimit(), mounted.memoryLimit());
        assertTrue(mounted.memoryLimit() > 0);
    }

    @Test
    void noXattrTurnsTheAttributesOff() {
        assertEquals(0, run("--no-xattr"));
        assertFalse(mounted.xattrs());
    }

    @Test
    void hugePagesAreForPassthroughDisksOnly() {
        assertEquals(0, run("--passthrough"));
        assertFalse(mounted.hugePages(), "4 KiB pages by default: memory in units of what is written");
        assertEquals(0, run("--passthrough", "--huge-pages"));
        assertTrue(mounted.hugePages());
        assertEquals(0, run("--huge-pages", "-d", "p=1G,passthrough"));
        assertTrue(mounted.hugePages());
        mounted = null;
        assertUsageError("--huge-pages is for passthrough disks: add --passthrough, or ,passthrough to a disk", "--huge-pages");
    }

    @Test
    void directIoByDefaultAndThePageCacheOnRequest() {
        assertEquals(0, run());
        assertFalse(mounted.pageCache(), "the default mount serves files with direct_io");
        assertEquals(0, run("--page-cache"));
        assertTrue(mounted.pageCache());
    }

    @Test
    void vhostUserSocketDirectoryIsResolvedAgainstTheWorkingDirectory() {
        assertEquals(0, run());
        assertNull(mounted.vhostUser(), "no vhost-user door unless asked");
        assertEquals(0, run("--vhost-user", "vu", "mnt"));
        assertEquals(dir.resolve("vu"), mounted.vhostUser());
        assertEquals(0, run("--vhost-user=/run/ramdiskfs/vu/", "mnt"));
        assertEquals(Path.of("/run/ramdiskfs/vu"), mounted.vhostUser());
        mounted = null;
        assertUsageErrorFresh("--vhost-user: " + dir.resolve("mnt/vu") + " is inside the mount point " + dir.resolve("mnt")
                + "; give a directory outside it", "--vhost-user", "mnt/vu", "mnt");
        assertUsageErrorFresh("--vhost-user: the socket directory is an empty string", "--vhost-user=", "mnt");
    }

    @Test
    void readOnlyAndAllowOther() {
        assertEquals(0, run("--read-only", "--allow-other"));
        assertTrue(mounted.readOnly());
        assertTrue(mounted.allowOther());
    }

    @Test
    void verbose() {
        String before = System.getProperty(Logging.PREFIX + "defaultLogLevel");
        try {
            CliOptions o = new CliOptions();
            Cli.commandLine(o).parseArgs("-v");
            assertEquals(1, o.verbosity());
            o = new CliOptions();
            Cli.commandLine(o).parseArgs("-vv");
            assertEquals(2, o.verbosity());
            o = new CliOptions();
            Cli.commandLine(o).parseArgs("--verbose", "-v", "-v");
            assertEquals(3, o.verbosity());
            Logging.configure(1);
            assertEquals("debug", Logging.level());
            Logging.configure(2);
            assertEquals("trace", Logging.level());
            assertEquals("System.err", System.getProperty(Logging.PREFIX + "logFile"));
            assertEquals(0, run("-vv"));
        } finally {
            if (before == null) {
                System.clearProperty(Logging.PREFIX + "defaultLogLevel");
            } else {
                System.setProperty(Logging.PREFIX + "defaultLogLevel", before);
            }
        }
    }

    @Test
    void version() {
        assertEquals(0, run("--version"));
        assertTrue(out().matches("ramdiskfs \\S+" + System.lineSeparator()), out());
        assertEquals("", err());
        assertNull(mounted);
        outBytes.reset();
        assertEquals(0, run("-V"));
        assertEquals("ramdiskfs " + Version.get() + System.lineSeparator(), out());
    }

    @Test
    void help() {
        assertEquals(0, run("--help"));
        String help = out();
        assertTrue(help.contains("Usage: ramdiskfs [OPTIONS] [MOUNTPOINT]"), help);
        for (String opt : List.of("--disk", "NAME=SIZE[,ro]", "NAME=memdiff:IMAGE[,ro]", "--sector-size", "--memory-limit",
                "--read-only", "--allow-other", "--vhost-user", "DIR/NAME.sock", "vhost-user-blk-pci", "--verbose", "--version",
                "--help", "./disks", "disk0=1G")) {
            assertTrue(help.contains(opt), opt + " in\n" + help);
        }
        assertEquals("", err());
        assertNull(mounted);
        outBytes.reset();
        assertEquals(0, run("-h", "-d", "bad"));
        assertTrue(out().startsWith("Mount a FUSE"), "help wins over option values it did not check");
    }

    @Test
    void mountLineNamesDisksAndLimit() throws IOException {
        Path img = image("base.raw", 4096);
        MountOptions o = new MountOptions(dir, List.of(DiskDefinition.ram("disk0", 1L << 30), DiskDefinition.memdiff("vm", img).asReadOnly()),
                512, 1000, false, false);
        assertEquals("mounted " + dir + ": disk0 (1073741824 bytes, ram), vm (4096 bytes, memdiff over " + img + ", ro); memory limit 1000 bytes",
                MountSummary.describe(dir, o));
        assertEquals("mounted " + dir + ": disk0 (1073741824 bytes, ram); memory limit 1000 bytes; sector size 4096; read-only; allow_other",
                MountSummary.describe(dir, new MountOptions(dir, List.of(DiskDefinition.ram("disk0", 1L << 30)), 4096, 1000, true, true)));
        assertEquals("mounted " + dir + ": disk0 (1073741824 bytes, ram); memory limit 1000 bytes; vhost-user sockets in /run/vu",
                MountSummary.describe(dir, new MountOptions(dir, List.of(DiskDefinition.ram("disk0", 1L << 30)), 512, 1000, false, false)
                        .withVhostUser(Path.of("/run/vu"))));
    }

    // ---- rejections: exit 2, one line ----

    @Test
    void badSizes() {
        assertUsageErrorFresh("--memory-limit: size '-1' is negative", "--memory-limit", "-1");
        assertUsageErrorFresh("--memory-limit: size '10Q' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                "--memory-limit", "10Q");
        assertUsageErrorFresh("--memory-limit: size '0x' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                "--memory-limit=0x");
        assertUsageErrorFresh("--memory-limit: size '' is empty; give e.g. 512M, 8G or 4096", "--memory-limit=");
        assertUsageErrorFresh("--memory-limit: size '99999999P' is too large", "--memory-limit", "99999999P");
    }

    private void assertUsageErrorFresh(String message, String... args) {
        outBytes.reset();
        errBytes.reset();
        mounted = null;
        assertUsageError(message, args);
    }

    @Test
    void badDiskSizes() {
        String notSize = " is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)";
        assertUsageErrorFresh("--disk 'x=-1': size '-1' is negative", "-d", "x=-1");
        assertUsageErrorFresh("--disk 'x=10Q': size '10Q'" + notSize, "-d", "x=10Q");
        assertUsageErrorFresh("--disk 'x=0x': size '0x'" + notSize, "-d", "x=0x");
        assertUsageErrorFresh("--disk 'x=1.5G': size '1.5G'" + notSize, "-d", "x=1.5G");
        assertUsageErrorFresh("--disk 'x=': no size after '=': give e.g. x=1G", "-d", "x=");
        assertUsageErrorFresh("--disk 'x=99999999P': size '99999999P' is too large", "-d", "x=99999999P");
        assertUsageErrorFresh("--disk 'x=2P': size 2P (2251799813685248 bytes) is larger than the largest disk, 1P (1125899906842624 bytes)",
                "-d", "x=2P");
        assertUsageErrorFresh("--disk 'x=1000': size 1000 is not a multiple of the sector size 512", "-d", "x=1000");
    }

    @Test
    void badDiskNames() {
        assertUsageErrorFresh("--disk '=1G': disk name is empty", "-d", "=1G");
        assertUsageErrorFresh("--disk 'a/b=1G': disk name 'a/b' contains '/'", "-d", "a/b=1G");
        assertUsageErrorFresh("--disk '.=1G': disk name '.' is reserved", "-d", ".=1G");
        assertUsageErrorFresh("--disk '..=1G': disk name '..' is reserved", "-d", "..=1G");
        String longName = "x".repeat(300);
        assertUsageErrorFresh("--disk '" + longName + "=1G': disk name of 300 bytes is longer than 255", "-d", longName + "=1G");
        assertUsageErrorFresh("--disk 'disk0': expected NAME=SIZE or NAME=ROLE:IMAGE (memdiff, load, persist, cache, writethrough)", "-d", "disk0");
        assertUsageErrorFresh("--disk '': expected NAME=SIZE or NAME=ROLE:IMAGE (memdiff, load, persist, cache, writethrough)", "--disk=");
    }

    @Test
    void duplicateNames() {
        assertUsageError("disk name 'x' is given twice", "-d", "x=1G", "-d", "y=1G", "-d", "x=2G");
    }

    @Test
    void duplicateNamesAcrossKinds() throws IOException {
        image("base.raw", 512);
        assertUsageError("disk name 'x' is given twice", "-d", "x=memdiff:base.raw", "-d", "x=1G,ro");
    }

    @Test
    void unknownFlagAfterComma() {
        assertUsageError("--disk 'x=1G,rw': unknown flag 'rw' (the flags are 'ro' and 'passthrough')", "-d", "x=1G,rw");
    }

    @Test
    void badMemdiffImages() throws IOException {
        Path missing = dir.resolve("missing.raw");
        assertUsageErrorFresh("--disk 'vm=memdiff:missing.raw': image " + missing + " does not exist", "-d", "vm=memdiff:missing.raw");
        assertUsageErrorFresh("--disk 'vm=memdiff:" + dir + "': image " + dir + " is a directory, not a raw image file", "-d", "vm=memdiff:" + dir);
        Path empty = image("empty.raw", 0);
        assertUsageErrorFresh("--disk 'vm=memdiff:empty.raw': image " + empty + " is empty", "-d", "vm=memdiff:empty.raw");
        Path odd = image("odd.raw", 1000);
        assertUsageErrorFresh("--disk 'vm=memdiff:odd.raw': image " + odd + " is 1000 bytes, not a multiple of the sector size 512",
                "-d", "vm=memdiff:odd.raw");
        Path small = image("small.raw", 512);
        assertUsageErrorFresh("--disk 'vm=memdiff:small.raw': image " + small + " is 512 bytes, not a multiple of the sector size 4096",
                "--sector-size", "4096", "-d", "vm=memdiff:small.raw");
        assertUsageErrorFresh("--disk 'vm=memdiff:': memdiff: needs the path of a raw image file", "-d", "vm=memdiff:");
    }

    @Test
    void badSectorSizes() {
        for (String s : List.of("1024", "0", "-512", "8192", "4K", "abc", "")) {
            assertUsageErrorFresh("--sector-size: '" + s + "' is not 512 or 4096", "--sector-size", s);
        }
        assertUsageErrorFresh("missing required parameter for option '--sector-size' (N)", "--sector-size");
    }

    @Test
    void unknownOptionsAndExtraArguments() throws IOException {
        assertUsageErrorFresh("unknown option: '--foo'", "--foo");
        assertUsageErrorFresh("unknown option: '-x'", "-x");
        assertUsageErrorFresh("unexpected argument 'b': give at most one MOUNTPOINT", "a", "b");
        assertUsageErrorFresh("missing required parameter for option '--disk' (SPEC)", "--disk");
        assertUsageErrorFresh("the mount point is an empty string", "");
    }

    @Test
    void optionGivenTwice() {
        assertUsageError("option '--sector-size' (N) should be specified only once", "--sector-size", "512", "--sector-size", "4096");
    }

    @Test
    void firstProblemWins() {
        assertUsageError("--disk 'a/b=1G': disk name 'a/b' contains '/'", "-d", "a/b=1G", "-d", "c=10Q");
    }

    // ---- mount failures: exit 1, one line ----

    @Test
    void mountExceptionIsOneLineAndExitOne() {
        mounter = options -> {
            throw new MountException("mount point " + options.mountPoint() + " is already a live mount (fuse.ramdiskfs); unmount it first");
        };
        assertEquals(1, run());
        assertEquals("ramdiskfs: mount point " + dir.resolve("disks") + " is already a live mount (fuse.ramdiskfs); unmount it first"
                + System.lineSeparator(), err());
    }

    @Test
    void multiLineFailureIsFoldedIntoOneLine() {
        mounter = options -> {
            throw new MountException("libfuse could not mount\nfuse: device not found");
        };
        assertEquals(1, run());
        assertEquals("ramdiskfs: libfuse could not mount; fuse: device not found" + System.lineSeparator(), err());
    }

    @Test
    void unexpectedErrorWhileMountingIsExitOne() {
        mounter = options -> {
            throw new UnsatisfiedLinkError("libfuse.so.2: cannot open shared object file");
        };
        assertEquals(1, run());
        assertTrue(err().startsWith("ramdiskfs: cannot mount " + dir.resolve("disks") + ": java.lang.UnsatisfiedLinkError: libfuse.so.2"), err());
        assertEquals(1, err().lines().count());
    }

    @Test
    void mainRunIsTheSameEntry() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[] {"-d", "x=10Q"}, new PrintStream(o), new PrintStream(e)));
        assertTrue(e.toString().startsWith("ramdiskfs: --disk 'x=10Q'"));
        assertEquals(0, Main.run(new String[] {"--version"}, new PrintStream(o), new PrintStream(e)));
        assertNotNull(Version.get());
    }
}

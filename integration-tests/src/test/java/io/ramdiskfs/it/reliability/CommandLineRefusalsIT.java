package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.ForNobody;
import io.ramdiskfs.it.support.FuseRequirement;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad sizes, a duplicate name and memdiff images that cannot be used, given to the real jar as a
 * child process: one line {@code ramdiskfs: ...} naming the offending text, exit 2 (usage), and
 * nothing mounted. (CommandLineIT covers other options; these are the ones it does not.)
 */
@RequiresFuse(root = true, tools = {"setpriv", "mkfifo"})
class CommandLineRefusalsIT {
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "-d x=-1                  | '-1' is negative",
        "-d x=10Q                 | '10Q' is not a whole number",
        "-d x=0x                  | '0x' is not a whole number",
        "-d x=1.5G                | '1.5G' is not a whole number",
        "-d x=                    | no size after '='",
        "-d x=99999999999999999999 | too large",
        "-d x=1000                | not a multiple of the sector size 512",
        "-d x=2P                  | larger than the largest disk",
        "--sector-size 4096 -d x=6K | not a multiple of the sector size 4096",
        "--memory-limit -1        | '-1' is negative",
        "--memory-limit 10Q       | 10Q",
        "--memory-limit 0x        | 0x",
        "-d x=1M -d x=2M          | disk name 'x' is given twice",
        "-d x=1M -d y=1M -d x=1M,ro | disk name 'x' is given twice",
    })
    void aBadSizeOrADuplicateNameIsOneLineAndExitTwo(String args, String message) {
        List<String> argv = new ArrayList<>(List.of(args.trim().split("\\s+")));
        assertRefused(argv, message);
    }

    @Test
    void aDiskNameOver255BytesIsRefused() {
        assertRefused(List.of("-d", "n".repeat(256) + "=1M"), "disk name of 256 bytes is longer than 255");
    }

    @Test
    void memdiffOverAMissingImage() {
        Path missing = disks.testDir().resolve("missing.raw");
        assertRefused(memdiff(missing), missing + " does not exist");
    }

    @Test
    void memdiffOverADirectory() throws IOException {
        Path dir = Files.createDirectories(disks.testDir().resolve("dir.raw"));
        assertRefused(memdiff(dir), dir + " is a directory");
    }

    @Test
    void memdiffOverAFifo() {
        Path fifo = disks.testDir().resolve("fifo.raw");
        Cmd.ok("mkfifo", fifo.toString());
        assertRefused(memdiff(fifo), fifo + " is neither a regular file nor a block device");
    }

    @Test
    void memdiffOverAnEmptyImage() throws IOException {
        Path empty = Files.createFile(disks.testDir().resolve("empty.raw"));
        assertRefused(memdiff(empty), empty + " is empty");
    }

    @Test
    void memdiffOverAnImageThatIsNotAWholeNumberOfSectors() {
        Path odd = Data.random(disks.testDir().resolve("odd.raw"), 1000, 7);
        assertRefused(memdiff(odd), odd + " is 1000 bytes, not a multiple of the sector size 512");
        Path odd4k = Data.random(disks.testDir().resolve("odd4k.raw"), 4096 + 512, 8);
        List<String> args = new ArrayList<>(List.of("--sector-size", "4096"));
        args.addAll(memdiff(odd4k));
        assertRefused(args, odd4k + " is 4608 bytes, not a multiple of the sector size 4096");
    }

    /**
     * Root reads any file, so the jar runs as nobody (setpriv) against an image only root may read.
     * The jar, its lib/ and the image go to a fresh world-traversable directory under /tmp: the
     * checkout itself may sit in a directory nobody cannot enter (mktemp -d makes mode 700), and
     * then nobody could not even start the jar or see the image.
     */
    @Test
    void memdiffOverAnUnreadableImage() throws IOException {
        Path dir = ForNobody.openDirectory("ramdiskfs-as-nobody-");
        try {
            Path jar = ForNobody.jarIn(dir);
            Path image = Data.random(dir.resolve("secret.raw"), 4096, 9);
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-------"));
            Path mp = disks.newMountPoint();
            List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-jar", jar.toString()));
            cmd.addAll(memdiff(image));
            cmd.add(mp.toString());

            Cmd.Result r = Cmd.run(EXIT, cmd);

            assertEquals(2, r.exitCode(), r.describe());
            List<String> lines = Tools.lines(r.stderr());
            assertEquals(1, lines.size(), "exactly one line on stderr\n" + r.describe());
            assertTrue(lines.get(0).startsWith("ramdiskfs: ") && lines.get(0).contains(image + " is not readable"), r.describe());
            assertFalse(MountInfo.isMounted(mp));
            assertTrue(FuseRequirement.isRoot(), "the test itself runs as root");
        } finally {
            try (var all = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static List<String> memdiff(Path image) {
        return new ArrayList<>(List.of("-d", "vm=memdiff:" + image));
    }

    private void assertRefused(List<String> args, String message) {
        Path mp = disks.newMountPoint();
        List<String> argv = new ArrayList<>(args);
        argv.add(mp.toString());

        CliProcess rd = disks.startCli(mp, argv);

        assertEquals(2, rd.awaitExit(EXIT), "exit code of a usage error\n" + rd.describe());
        List<String> lines = Tools.lines(rd.stderr());
        assertEquals(1, lines.size(), "exactly one line on stderr\n" + rd.describe());
        assertTrue(lines.get(0).startsWith("ramdiskfs: "), "the line starts with 'ramdiskfs: '\n" + rd.describe());
        assertTrue(lines.get(0).contains(message), "the line says '" + message + "'\n" + rd.describe());
        assertEquals("", rd.stdout(), "nothing on stdout\n" + rd.describe());
        assertFalse(MountInfo.isMounted(mp), "nothing mounted at " + mp);
    }
}

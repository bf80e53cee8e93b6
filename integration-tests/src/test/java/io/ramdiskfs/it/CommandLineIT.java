package io.ramdiskfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad command lines: one line on stderr naming the offending text, exit 2, nothing mounted. Mount
 * points that cannot be used: one line, exit 1.
 */
@RequiresFuse
class CommandLineIT {
    static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--bogus                          | --bogus",
        "-d disk0=lots                    | lots",
        "-d disk0=12Q                     | 12Q",
        "-d =1G                           | =1G",
        "-d ..=1G                         | ..",
        "-d a/b=1G                        | a/b",
        "-d disk0=1G,rw                   | rw",
        "-d a=1G -d a=2G                  | a",
        "--sector-size 1000               | 1000",
        "--memory-limit much              | much",
        "--disk                           | --disk",
    })
    void aBadOptionGivesOneLineNamingItAndExitTwo(String args, String offending) {
        Path mp = disks.newMountPoint();
        List<String> argv = new ArrayList<>(List.of(args.trim().split("\\s+")));
        argv.add(mp.toString());

        CliProcess rd = disks.startCli(mp, argv);

        assertEquals(2, rd.awaitExit(EXIT), rd.describe());
        assertOneErrorLine(rd, offending);
        assertFalse(MountInfo.isMounted(mp));
    }

    @Test
    void twoMountPointsAreAUsageError() {
        Path a = disks.newMountPoint();
        Path b = disks.newMountPoint();

        CliProcess rd = disks.startCli(a, List.of(a.toString(), b.toString()));

        assertEquals(2, rd.awaitExit(EXIT), rd.describe());
        assertOneErrorLine(rd, b.toString());
        assertFalse(MountInfo.isMounted(a) || MountInfo.isMounted(b));
    }

    @Test
    void aMissingMountPointIsAMountFailure() {
        Path missing = disks.testDir().resolve("does-not-exist");

        CliProcess rd = disks.startCli(missing, List.of("-d", "disk0=1M", missing.toString()));

        assertEquals(1, rd.awaitExit(EXIT), rd.describe());
        assertOneErrorLine(rd, missing.toString());
    }

    @Test
    void aFileAsMountPointIsAMountFailure() throws IOException {
        Path file = Files.createFile(disks.testDir().resolve("a-file"));

        CliProcess rd = disks.startCli(file, List.of("-d", "disk0=1M", file.toString()));

        assertEquals(1, rd.awaitExit(EXIT), rd.describe());
        assertOneErrorLine(rd, "not a directory");
    }

    @Test
    void aMissingImageIsRefusedWithItsPath() {
        Path mp = disks.newMountPoint();
        Path image = disks.testDir().resolve("no-such.raw");

        CliProcess rd = disks.startCli(mp, List.of("-d", "vm=memdiff:" + image, mp.toString()));

        int exit = rd.awaitExit(EXIT);
        assertTrue(exit == 1 || exit == 2, "exit " + exit + "\n" + rd.describe());
        assertOneErrorLine(rd, image.toString());
        assertFalse(MountInfo.isMounted(mp));
    }

    @Test
    void versionAndHelpExitZero() {
        CliProcess version = disks.startCli(null, List.of("--version"));
        assertEquals(0, version.awaitExit(EXIT), version.describe());
        assertTrue(version.stdout().startsWith("ramdiskfs "), version.describe());

        CliProcess help = disks.startCli(null, List.of("--help"));
        assertEquals(0, help.awaitExit(EXIT), help.describe());
        assertTrue(help.stdout().contains("--memory-limit") && help.stdout().contains("memdiff:"), help.describe());
    }

    private static void assertOneErrorLine(CliProcess rd, String offending) {
        List<String> lines = Tools.lines(rd.stderr());
        assertEquals(1, lines.size(), "exactly one line on stderr\n" + rd.describe());
        assertTrue(lines.get(0).startsWith("ramdiskfs: "), "the line starts with 'ramdiskfs: '\n" + rd.describe());
        assertTrue(lines.get(0).contains(offending), "the line names '" + offending + "'\n" + rd.describe());
    }
}

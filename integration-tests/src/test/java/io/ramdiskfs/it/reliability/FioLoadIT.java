package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * fio over a whole 1 GiB disk: four jobs, each owning a quarter, write random blocks of 4 KiB and
 * 64 KiB (half each) with libaio and O_DIRECT at queue depths 1, 16 and 64, with crc32c in every
 * block; fio verifies as it goes, then a separate pass reads the whole GiB back with O_DIRECT and
 * verifies every block again. Zero mismatches, and the disk holds exactly 1 GiB. (FioVerifyIT
 * does 256 MiB with one block size per run; this is the full-size, mixed-size load.)
 */
@RequiresFuse(tools = "fio")
class FioLoadIT {
    static final long DISK = 1024L << 20;
    static final int JOBS = 4;
    static final Duration RUN = Duration.ofSeconds(90);
    static final Pattern ISSUED = Pattern.compile("issued rwts: total=(\\d+),(\\d+)");

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @ParameterizedTest(name = "libaio iodepth={0}")
    @ValueSource(ints = {1, 16, 64})
    void fourJobsOfMixed4kAnd64kWritesOverOneGibVerifyWithZeroMismatches(int iodepth) {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", DISK));
        Path disk = fs.mountPoint().resolve("disk0");

        Cmd.Result written = fio(disk, iodepth, "--do_verify=1");
        assertVerified(written, "write + verify");
        assertEquals(DISK, Tools.committedBytes(disk), "every byte of the disk was written once");

        Cmd.Result reread = fio(disk, iodepth, "--verify_only=1");
        assertVerified(reread, "verify-only pass");
    }

    /** The same seed for both runs, so the verify-only run replays the writing run's blocks and checksums. */
    private Cmd.Result fio(Path disk, int iodepth, String mode) {
        long perJob = DISK / JOBS;
        List<String> cmd = new ArrayList<>(List.of("fio",
                "--name=load",
                "--filename=" + disk,
                "--rw=randwrite",
                "--bssplit=4k/50:64k/50",
                "--ioengine=libaio",
                "--iodepth=" + iodepth,
                "--direct=1",
                "--numjobs=" + JOBS,
                "--size=" + perJob,
                "--offset_increment=" + perJob,
                "--randseed=4711",
                "--verify=crc32c",
                "--verify_fatal=1",
                "--verify_state_save=0",
                mode,
                "--group_reporting"));
        Background b = Background.start(disks.testDir(), "fio-" + (mode.contains("only") ? "verify" : "write"), cmd);
        try {
            return b.await(RUN);
        } finally {
            b.close();
        }
    }

    /** Exit 0, err=0, no verify complaint, and the whole GiB read back. */
    private static void assertVerified(Cmd.Result r, String what) {
        r.assertOk();
        String all = r.stdout() + r.stderr();
        assertTrue(all.contains("err= 0") && !all.contains("verify failed") && !all.contains("bad magic") && !all.contains("bad header")
                && !all.contains("crc32c"), what + ": fio reported a problem\n" + r.describe());
        Matcher issued = ISSUED.matcher(r.stdout());
        assertTrue(issued.find() && Long.parseLong(issued.group(1)) > 0, what + ": fio verified nothing\n" + r.describe());
        assertTrue(r.stdout().matches("(?s).*READ: .*io=1024MiB.*"), what + ": fio did not read back and verify all 1024 MiB\n" + r.describe());
    }
}

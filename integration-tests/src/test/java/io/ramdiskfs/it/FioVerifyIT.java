package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fio writes random blocks with crc32c checksums from four jobs at once, then reads every block
 * back and verifies it: concurrent I/O through the mount never loses or mixes up data.
 */
@RequiresFuse(tools = "fio")
class FioVerifyIT {
    static final long DISK = 256 * MiB;
    static final int JOBS = 4;
    static final Pattern ISSUED = Pattern.compile("issued rwts: total=(\\d+),(\\d+)");

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @ParameterizedTest(name = "{0} direct={1} iodepth={2} bs={3}")
    @CsvSource({
        "libaio, 1, 1,  4k-64k",
        "libaio, 1, 8,  4k",
        "libaio, 1, 32, 16k",
        "psync,  0, 1,  4k-128k",
        "psync,  1, 1,  4k",
    })
    void randomWritesFromFourJobsVerifyWithCrc32c(String engine, int direct, int iodepth, String bs) {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", DISK));
        Path disk = fs.mountPoint().resolve("disk0");

        Cmd.Result written = fio(disk, engine, direct, iodepth, bs, "--do_verify=1");
        assertVerified(written);

        // Again, reading with O_DIRECT only: the data is in the disk, not just in the page cache.
        Cmd.Result reread = fio(disk, "psync", 1, 1, bs, "--verify_only=1");
        assertVerified(reread);
    }

    /**
     * The same over a memdiff disk: blocks of 4 KiB to 256 KiB land in RAM chunks over a random
     * image, so most reads are answered in place from RAM runs and runs of the mapped image at
     * once, while other jobs write.
     */
    @Test
    void randomWritesToAMemdiffDiskFromFourJobsVerify() {
        Path image = Data.random(disks.testDir().resolve("base.raw"), DISK, 64);
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("disk0", image));
        Path disk = fs.mountPoint().resolve("disk0");

        assertVerified(fio(disk, "libaio", 1, 8, "4k-256k", "--do_verify=1"));
        assertVerified(fio(disk, "psync", 1, 1, "4k-256k", "--verify_only=1"));
    }

    @Test
    void unalignedWritesOfFourJobsInterleavedWithinSectorsAllVerify() {
        // Job i writes 1000 bytes at i*1000, skips 3000, and so on: every 512-byte sector on a job
        // boundary is written by two jobs at once, so each write is a partial-sector read-modify-write.
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", 32 * MiB));
        Path disk = fs.mountPoint().resolve("disk0");

        Cmd.Result r = Cmd.run(Duration.ofSeconds(150), List.of("fio",
                "--name=rmw",
                "--filename=" + disk,
                "--rw=write",
                "--bs=1000",
                "--ioengine=libaio",
                "--iodepth=16",
                "--direct=1",
                "--numjobs=" + JOBS,
                "--offset_increment=1000",
                "--zonemode=strided",
                "--zonesize=1000",
                "--zoneskip=" + (JOBS - 1) * 1000,
                "--size=8000000",
                "--verify=crc32c",
                "--verify_fatal=1",
                "--verify_state_save=0",
                "--do_verify=1",
                "--group_reporting"));

        r.assertOk();
        String all = r.stdout() + r.stderr();
        assertTrue(!all.contains("verify failed") && !all.contains("bad magic") && !all.contains("bad header"),
                "fio reported a verification problem\n" + r.describe());
        Matcher issued = ISSUED.matcher(r.stdout());
        assertTrue(issued.find() && Long.parseLong(issued.group(1)) == Long.parseLong(issued.group(2))
                && Long.parseLong(issued.group(2)) > 0, "every write is read back once\n" + r.describe());
    }

    /** The same seed every time, so a --verify_only run replays the blocks and checksums of the writing run. */
    private static Cmd.Result fio(Path disk, String engine, int direct, int iodepth, String bs, String mode) {
        long perJob = DISK / JOBS;
        return Cmd.run(Duration.ofSeconds(150), List.of("fio",
                "--name=rdfs",
                "--filename=" + disk,
                "--rw=randwrite",
                "--bsrange=" + (bs.contains("-") ? bs : bs + "-" + bs),
                "--ioengine=" + engine,
                "--iodepth=" + iodepth,
                "--direct=" + direct,
                "--numjobs=" + JOBS,
                "--size=" + perJob,
                "--offset_increment=" + perJob, // each job owns its quarter, so verification is exact
                "--randseed=20251125",
                "--verify=crc32c",
                "--verify_fatal=1",
                "--verify_state_save=0", // no *-verify.state files left in the working directory
                mode,
                "--group_reporting"));
    }

    /** Exit 0, no verify complaint, and every written block was read back. */
    private static void assertVerified(Cmd.Result r) {
        r.assertOk();
        String all = r.stdout() + r.stderr();
        assertTrue(!all.contains("verify failed") && !all.contains("bad magic") && !all.contains("bad header"),
                "fio reported a verification problem\n" + r.describe());
        Matcher issued = ISSUED.matcher(r.stdout());
        assertTrue(issued.find(), "no 'issued rwts' line in fio's report\n" + r.describe());
        long reads = Long.parseLong(issued.group(1));
        assertTrue(reads > 0, "fio verified nothing (0 reads)\n" + r.describe());
        assertTrue(r.stdout().contains("READ: bw=") && r.stdout().matches("(?s).*READ: .*io=256MiB.*"),
                "fio did not read back all 256 MiB\n" + r.describe());
    }
}

package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A commit rewrites a base image that another disk may read too (issue 20, item 4): a clone
 * ({@code ramdiskfs clone}) shares the memdiff disk's layers, and two {@code -d memdiff:} over one image
 * open it twice. Committing one of them used to succeed and change the other's content at its
 * next start (or, committed second, rename old base + its own writes over the first commit).
 * Refused with EBUSY naming the other disk; the base is left as it was; once the other disk is
 * gone the commit goes through.
 */
@RequiresFuse(root = true, tools = {"setfattr", "rm", "dd"})
class SharedBaseCommitIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    static Cmd.Result ramdiskfs(String... args) {
        return Cmd.run(Duration.ofMinutes(2), CliProcess.commandLine(args));
    }

    @Test
    void aCloneSharingTheBaseBlocksTheCommitUntilItIsGone() {
        Path out = disks.newDir("out");
        Path base = Data.random(out.resolve("base.raw"), 16 * MiB, 41);
        String original = Data.sha256(base);
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "vm=memdiff:" + base);
        Path vm = mp.resolve("vm");
        Tools.dd("if=" + Data.random(out.resolve("w"), MiB, 42), "of=" + vm, "bs=1M", "conv=notrunc", "oflag=direct")
                .assertOk();
        ramdiskfs("clone", vm.toString(), mp.resolve("twin").toString()).assertOk(); // shares vm's layers, the base included

        Cmd.Result refused = ramdiskfs("commit", vm.toString());
        refused.assertFailsWith("busy");
        assertEquals(original, Data.sha256(base), "a refused commit wrote the base");

        Cmd.ok("rm", mp.resolve("twin").toString());
        String expected = Data.sha256(vm);
        ramdiskfs("commit", vm.toString()).assertOk();
        assertEquals(expected, Data.sha256(base), "the commit once the clone is gone");
    }

    @Test
    void twoMemdiffDisksOverOneImageBlockEachOthersCommit() {
        Path out = disks.newDir("out");
        Path base = Data.random(out.resolve("base.raw"), 16 * MiB, 43);
        String original = Data.sha256(base);
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "a=memdiff:" + base, "-d", "b=memdiff:" + base);
        Tools.dd("if=/dev/urandom", "of=" + mp.resolve("a"), "bs=1M", "count=1", "conv=notrunc", "oflag=direct").assertOk();

        ramdiskfs("commit", mp.resolve("a").toString()).assertFailsWith("busy");
        ramdiskfs("commit", mp.resolve("b").toString()).assertFailsWith("busy");
        assertEquals(original, Data.sha256(base), "a refused commit wrote the base");
        assertEquals(original, Data.sha256(mp.resolve("b")), "b reads the base as it was");
    }
}

package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A commit renames a new base over the old one; the old file's inode, and its disk space, must
 * be let go once nothing reads it (issue 20, item 7). Reads that fall through to a memdiff image
 * and are not answered in place are spliced from a descriptor of the image's own: it used to stay
 * open until unmount, one more pinned base per commit.
 */
@RequiresFuse(tools = {"setfattr", "dd", "cmp"})
class ReplacedBaseIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** This JVM's descriptors of {@code base}, whichever inode: the current one or a replaced one. */
    static long heldOpen(Path base) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(base.toString());
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }

    @Test
    void aCommittedBaseIsLetGoOnceTheNewOneIsRead() throws Exception {
        Path out = disks.newDir("out");
        Path base = Data.random(out.resolve("base.raw"), 16 * MiB, 51);
        // Reads are answered from the mapped image in place unless the data path is libfuse's
        // (or the image cannot be mapped): then they are spliced from the descriptor.
        RamDiskFs fs;
        System.setProperty("ramdiskfs.directData", "false");
        try {
            fs = disks.mount(disks.options(DiskDefinition.memdiff("vm", base)));
        } finally {
            System.clearProperty("ramdiskfs.directData");
        }
        Path vm = fs.mountPoint().resolve("vm");
        long afterFirst = -1;
        for (int commit = 1; commit <= 4; commit++) {
            Tools.cmp(vm, 0, base, 0, 16 * MiB); // reads fall through: spliced from the image's descriptor
            Tools.dd("if=/dev/urandom", "of=" + vm, "bs=64K", "count=1", "seek=" + commit, "conv=notrunc", "oflag=direct")
                    .assertOk();
            String expected = Data.sha256(vm);
            Cmd.ok("setfattr", "-n", "user.ramdiskfs.commit", "-v", "1", vm.toString());
            assertEquals(expected, Data.sha256(base), "commit " + commit);
            Tools.cmp(vm, 0, base, 0, 16 * MiB); // the new base is read, spliced
            long held = heldOpen(base);
            if (commit == 1) {
                afterFirst = held;
            }
            assertEquals(afterFirst, held, "descriptors of " + base + " after commit " + commit + " (after the first: "
                    + afterFirst + "): each commit pins one more replaced base");
        }
    }
}

package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The tools that look for holes, on a 100 GiB thin disk holding 12 MiB: {@code cp --sparse=always},
 * {@code qemu-img map}, {@code qemu-img convert} to qcow2 and back (into the mount), {@code tar -S}
 * out and in, and {@code ramdiskfs save}. Every copy is compared with the disk byte for byte (the
 * data extents of either file compared, everything else a hole in both), and each takes time in
 * proportion to the data, not the size: reading 100 GiB of zeros through FUSE would take minutes.
 */
@RequiresFuse(root = true, tools = {"cp", "qemu-img", "tar", "python3"})
class SparseClientsIT {
    static final long GiB = 1024 * MiB;
    static final Duration QUICK = Duration.ofSeconds(60);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** Same size, and the same bytes wherever either file has data. */
    static void assertSameSparse(Path expected, Path actual) {
        Cmd.ok("python3", "-c", """
                import os, sys
                def extents(p):
                    fd = os.open(p, os.O_RDONLY); size = os.fstat(fd).st_size; pos = 0; out = []
                    while pos < size:
                        try: d = os.lseek(fd, pos, os.SEEK_DATA)
                        except OSError: break
                        h = os.lseek(fd, d, os.SEEK_HOLE); out.append((d, h)); pos = h
                    return fd, size, out
                fa, sa, ea = extents(sys.argv[1]); fb, sb, eb = extents(sys.argv[2])
                if sa != sb: sys.exit('sizes differ: %d %d' % (sa, sb))
                for (d, h) in ea + eb:
                    for at in range(d, h, 1 << 20):
                        n = min(1 << 20, h - at)
                        if os.pread(fa, n, at) != os.pread(fb, n, at): sys.exit('differ in [%d, %d)' % (at, at + n))
                """, expected.toString(), actual.toString());
    }

    @Test
    void holeAwareToolsCopyAThinDiskByItsData() {
        Path mp = disks.newMountPoint();
        Path out = disks.newDir("out");
        disks.startCliMounted(mp, "-d", "thin=100G");
        Path thin = mp.resolve("thin");
        Path src = Data.random(disks.newDir("src").resolve("data"), 8 * MiB, 3);
        Tools.dd("if=" + src, "of=" + thin, "bs=1M", "count=1", "conv=notrunc", "oflag=direct");
        Tools.dd("if=" + src, "of=" + thin, "bs=1M", "seek=" + 10 * GiB, "oflag=seek_bytes,direct", "conv=notrunc");
        Tools.dd("if=" + src, "of=" + thin, "bs=1M", "count=3", "seek=" + (99 * GiB + 12345 * 4096L), "oflag=seek_bytes,direct", "conv=notrunc");

        Path cp = out.resolve("cp.raw");
        Cmd.run(QUICK, "cp", "--sparse=always", thin.toString(), cp.toString()).assertOk();
        assertSameSparse(thin, cp);
        assertTrue(Tools.statBlocks(cp) * 512 <= 16 * MiB, "cp wrote zeros");

        String map = Cmd.run(QUICK, "qemu-img", "map", "--output=json", "-f", "raw", thin.toString()).assertOk().out();
        long dataEntries = map.lines().filter(l -> l.contains("\"data\": true")).count();
        assertEquals(3, dataEntries, map);

        Path qcow = out.resolve("thin.qcow2");
        Cmd.run(QUICK, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", thin.toString(), qcow.toString()).assertOk();
        Path back = mp.resolve("back");
        Cmd.run(QUICK, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow.toString(), back.toString()).assertOk();
        assertSameSparse(thin, back);
        assertTrue(Tools.committedBytes(back) <= 16 * MiB, "qemu-img wrote zeros into the mount");

        Path tar = out.resolve("thin.tar");
        Cmd.run(QUICK, "tar", "-C", mp.toString(), "-cSf", tar.toString(), "thin").assertOk();
        Path x = disks.newDir("x");
        Cmd.run(QUICK, "tar", "-C", x.toString(), "-xSf", tar.toString()).assertOk();
        assertSameSparse(thin, x.resolve("thin"));

        Path saved = out.resolve("saved.raw");
        if (MountedDisks.passthroughLane()) {
            // A passthrough disk takes no snapshot, so it cannot be saved at one instant; cp above is the way.
            Cmd.run(QUICK, CliProcess.commandLine("save", thin.toString(), saved.toString())).assertFailsWith("passthrough");
            return;
        }
        Cmd.run(QUICK, CliProcess.commandLine("save", thin.toString(), saved.toString())).assertOk();
        assertSameSparse(thin, saved);
        assertTrue(Files.exists(saved));
    }
}

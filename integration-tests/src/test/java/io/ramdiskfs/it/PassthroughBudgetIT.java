package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount with a passthrough disk and a disk of RAM layers has one memory budget, not one per kind: the
 * kernel's writes into the passthrough tmpfs and the process's RAM layers together stop at
 * {@code --memory-limit} with ENOSPC, in either order, with what was written before intact and
 * memory freed on one side usable by the other. The tmpfs's share moves in steps of 1 MiB under
 * a 64 MiB budget (a 64th), so the passthrough side may be refused up to two steps early.
 */
@RequiresFuse(tools = {"dd", "cmp", "fallocate", "df", "du", "getfattr"})
class PassthroughBudgetIT {
    static final long LIMIT = 64 * MiB;
    static final long STEP = MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    RamDiskFs fs;
    Path pt;
    Path ram;

    /**
     * The RAM side is a memdiff disk over an empty image: its writes are RAM layers whatever the
     * mount's lane, so the test means the same when the suite runs with every plain disk on
     * passthrough ({@code -Dramdiskfs.it.passthrough=true}).
     */
    @BeforeEach
    void mountAPassthroughAndARamDiskUnderOne64MiBBudget() throws Exception {
        Path image = tmp.resolve("empty.img");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(48 * MiB);
        }
        fs = disks.mount(disks.options(DiskDefinition.ram("pt", 48 * MiB).asPassthrough(),
                DiskDefinition.memdiff("ram", image)).withMemoryLimit(LIMIT));
        pt = fs.mountPoint().resolve("pt");
        ram = fs.mountPoint().resolve("ram");
        Assumptions.assumeTrue(Tools.getfattr(pt).getOrDefault("user.ramdiskfs.layers", "").startsWith("tmpfs"),
                "passthrough disks need root and Linux 6.9+ (the fallback is covered by PassthroughFallbackIT)");
    }

    @Test
    void passthroughFirstThenRamStopsAtTheOneBudget() {
        Path a = Data.random(tmp.resolve("a"), 40 * MiB, 21);
        Path b = Data.random(tmp.resolve("b"), 40 * MiB, 22);
        Tools.dd("if=" + a, "of=" + pt, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();

        Cmd.Result dd = Tools.ddCounting("if=" + b, "of=" + ram, "bs=1M", "conv=notrunc", "oflag=direct");

        dd.assertFailsWith("No space left on device");
        long written = Tools.ddBytesCopied(dd);
        assertEquals(LIMIT - 40 * MiB, written, "the RAM disk gets exactly what the passthrough disk leaves");
        assertOneBudget();
        Tools.cmp(a, 0, pt, 0, 40 * MiB);
        Tools.cmp(b, 0, ram, 0, written);

        Tools.punchHole(pt, 0, 16 * MiB);
        Tools.dd("if=" + b, "of=" + ram, "bs=1M", "skip=24", "seek=24", "count=16", "conv=notrunc", "oflag=direct")
                .assertOk();
        Tools.cmp(b, 0, ram, 0, 40 * MiB);
        Tools.cmp(a, 16 * MiB, pt, 16 * MiB, 24 * MiB);
        assertOneBudget();
    }

    @Test
    void ramFirstThenPassthroughStopsAtTheOneBudget() {
        Path a = Data.random(tmp.resolve("a"), 40 * MiB, 23);
        Path b = Data.random(tmp.resolve("b"), 40 * MiB, 24);
        Tools.dd("if=" + a, "of=" + ram, "bs=1M", "conv=notrunc", "oflag=direct").assertOk();

        Cmd.Result dd = Tools.ddCounting("if=" + b, "of=" + pt, "bs=1M", "conv=notrunc", "oflag=direct");

        dd.assertFailsWith("No space left on device");
        long written = Tools.ddBytesCopied(dd);
        assertTrue(written <= LIMIT - 40 * MiB && written >= LIMIT - 40 * MiB - 2 * STEP,
                "the kernel's writes stop within two steps of what the RAM disk leaves (24 MiB): " + written);
        assertOneBudget();
        Tools.cmp(a, 0, ram, 0, 40 * MiB);
        Tools.cmp(b, 0, pt, 0, written);

        Tools.punchHole(ram, 0, 16 * MiB);
        Tools.dd("if=" + b, "of=" + pt, "bs=1M", "skip=24", "seek=24", "count=8", "conv=notrunc", "oflag=direct")
                .assertOk();
        Tools.cmp(b, 24 * MiB, pt, 24 * MiB, 8 * MiB);
        Tools.cmp(a, 16 * MiB, ram, 16 * MiB, 24 * MiB);
        assertOneBudget();
    }

    /** du of both disks and df's used never pass the one limit. */
    private void assertOneBudget() {
        long held = Tools.du(pt) + Tools.du(ram);
        assertTrue(held <= LIMIT, "the two disks hold " + held + " bytes, more than the budget " + LIMIT);
        long[] df = Tools.df(fs.mountPoint());
        assertEquals(LIMIT, df[0], "df size: the one budget");
        assertTrue(df[1] >= held && df[1] <= LIMIT, "df used " + df[1] + " against du " + held);
    }
}

package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.KiB;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A memdiff disk over a raw image on the real disk: writes and punches land in RAM, the disk reads
 * them over the image, and the image file never changes.
 */
@RequiresFuse(tools = {"dd", "cmp", "fallocate", "truncate", "sha256sum"})
class LayeringIT {
    static final long IMAGE_SIZE = 32 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path image;
    String imageChecksum;
    FileTime imageModified;
    Path expected;

    @BeforeEach
    void randomImageOnTheRealDisk() throws IOException {
        image = Data.random(tmp.resolve("base.raw"), IMAGE_SIZE, 61);
        imageChecksum = sha256sum(image);
        imageModified = Files.getLastModifiedTime(image);
        expected = Data.copy(image, tmp.resolve("expected.raw"));
    }

    @Test
    void writesAndPunchesReadBackOverTheImageAndTheImageStaysUntouched() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image));
        Path vm = fs.mountPoint().resolve("vm");
        Tools.cmp(image, vm);

        Path patch = Data.random(tmp.resolve("patch"), MiB, 62);
        Tools.dd("if=" + patch, "of=" + vm, "bs=1M", "seek=3", "conv=notrunc").assertOk();
        Data.copyRange(patch, 0, expected, 3 * MiB, MiB);

        Tools.dd("if=" + patch, "of=" + vm, "bs=1000", "seek=10007", "count=5", "conv=notrunc").assertOk();
        Data.copyRange(patch, 0, expected, 10_007_000, 5_000);

        Tools.punchHole(vm, 8 * MiB, 2 * MiB);
        Data.zeroAt(expected, 8 * MiB, 2 * MiB);

        Tools.punchHole(vm, 12 * MiB + 100, 5_000);
        Data.zeroAt(expected, 12 * MiB + 100, 5_000);

        Tools.zeroRange(vm, 20 * MiB, MiB);
        Data.zeroAt(expected, 20 * MiB, MiB);

        Tools.dd("if=" + patch, "of=" + vm, "bs=1M", "seek=24", "conv=notrunc", "oflag=direct").assertOk();
        Data.copyRange(patch, 0, expected, 24 * MiB, MiB);
        Tools.punchHole(vm, 24 * MiB + 256 * KiB, 256 * KiB);
        Data.zeroAt(expected, 24 * MiB + 256 * KiB, 256 * KiB);

        Tools.cmpZeros(vm, 8 * MiB, 2 * MiB);
        Tools.cmp(expected, vm);
        assertEquals(IMAGE_SIZE, Tools.statSize(vm));
        long committed = Tools.committedBytes(vm);
        assertTrue(committed <= 3 * MiB, "only the written parts are in RAM, committed " + committed);
        assertImageUntouched();
    }

    /**
     * Reads served straight from the image (splice) and reads copied through the RAM layer must
     * agree with the model byte for byte, at any offset and length: ranges wholly in the image,
     * wholly in written chunks, straddling both, and running past the end.
     */
    @Test
    void readsAtAnyOffsetAgreeWithTheModelWhereverTheBytesLive() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image));
        Path vm = fs.mountPoint().resolve("vm");
        Path patch = Data.random(tmp.resolve("patch"), MiB, 63);
        Tools.dd("if=" + patch, "of=" + vm, "bs=4k", "seek=1000", "count=40", "conv=notrunc").assertOk();
        Data.copyRange(patch, 0, expected, 1000 * 4096L, 40 * 4096);
        Tools.punchHole(vm, 5 * MiB + 512, 3 * 512);
        Data.zeroAt(expected, 5 * MiB + 512, 3 * 512);

        java.util.Random random = new java.util.Random(64);
        byte[] want = Files.readAllBytes(expected);
        try (var ch = java.nio.channels.FileChannel.open(vm)) {
            for (int i = 0; i < 400; i++) {
                long at = i < 20 ? IMAGE_SIZE - 1 - random.nextInt(300 * 1024) : (long) (random.nextDouble() * IMAGE_SIZE);
                int len = 1 + random.nextInt(i % 2 == 0 ? 4096 : 300 * 1024);
                java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(len);
                while (got.hasRemaining() && ch.read(got, at + got.position()) > 0) {
                    // a read past the end stops short
                }
                int expectLen = (int) Math.min(len, IMAGE_SIZE - at);
                assertEquals(expectLen, got.position(), "bytes read at " + at + " asking " + len);
                for (int k = 0; k < expectLen; k++) {
                    if (got.get(k) != want[(int) at + k]) {
                        throw new AssertionError("read of " + len + " at " + at + ": byte " + (at + k) + " is " + got.get(k)
                                + ", expected " + want[(int) at + k]);
                    }
                }
            }
        }
        assertImageUntouched();
    }

    @Test
    void twoDisksOverTheSameImageDoNotSeeEachOthersWrites() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("a", image), DiskDefinition.memdiff("b", image));
        Path a = fs.mountPoint().resolve("a");
        Path b = fs.mountPoint().resolve("b");

        Tools.dd("if=/dev/zero", "of=" + a, "bs=1M", "count=4", "conv=notrunc").assertOk();
        Tools.punchHole(b, 4 * MiB, 4 * MiB);

        Data.zeroAt(expected, 0, 4 * MiB);
        Tools.cmp(expected, a);
        Data.copyRange(image, 0, expected, 0, 4 * MiB);
        Data.zeroAt(expected, 4 * MiB, 4 * MiB);
        Tools.cmp(expected, b);
        assertImageUntouched();
    }

    @Test
    void shrinkThenGrowReadsZerosNotTheImageBelow() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image));
        Path vm = fs.mountPoint().resolve("vm");

        Cmd.ok("truncate", "-s", "8M", vm.toString());
        Cmd.ok("truncate", "-s", "32M", vm.toString());

        Tools.cmp(image, 0, vm, 0, 8 * MiB);
        Tools.cmpZeros(vm, 8 * MiB, 24 * MiB);
        assertImageUntouched();
    }

    @Test
    void aReadOnlyMemdiffDiskRefusesWritesAndReadsTheImage() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image).asReadOnly());
        Path vm = fs.mountPoint().resolve("vm");

        Tools.dd("if=/dev/zero", "of=" + vm, "bs=1M", "count=1", "conv=notrunc").assertFailsWith("Read-only file system");

        Tools.cmp(image, vm);
        assertImageUntouched();
    }

    @Test
    void theImageIsUntouchedAfterTheMountIsGone() throws IOException {
        RamDiskFs fs = disks.mount(DiskDefinition.memdiff("vm", image));
        Path vm = fs.mountPoint().resolve("vm");
        Tools.dd("if=/dev/zero", "of=" + vm, "bs=1M", "count=32", "conv=notrunc", "oflag=direct").assertOk();
        Cmd.ok("sync");

        disks.releaseAll();

        assertImageUntouched();
        Tools.cmp(expected, image);
    }

    private void assertImageUntouched() throws IOException {
        assertEquals(imageChecksum, sha256sum(image), "sha256 of " + image + " changed");
        assertEquals(imageModified, Files.getLastModifiedTime(image), "mtime of " + image + " changed");
        assertEquals(IMAGE_SIZE, Files.size(image));
    }

    private static String sha256sum(Path file) {
        return Cmd.ok("sha256sum", file.toString()).out().split("\\s+")[0];
    }
}

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** cp of a raw image into the mount creates a new disk that is byte-identical to it. */
@RequiresFuse(tools = {"cp", "cmp", "du", "truncate"})
class CpImageIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @TempDir
    Path tmp;

    Path mnt;

    @BeforeEach
    void mountWithOneUnrelatedDisk() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", MiB));
        mnt = fs.mountPoint();
    }

    @Test
    void cpOfAnImageMakesAByteIdenticalDisk() {
        Path image = Data.random(tmp.resolve("image.raw"), 40 * MiB + 7 * 512, 51);

        Cmd.ok("cp", image.toString(), mnt.toString() + "/");

        Path copy = mnt.resolve("image.raw");
        assertEquals(Data.size(image), Tools.statSize(copy));
        Tools.cmp(image, copy);
        assertEquals(Data.sha256(image), Data.sha256(copy));
    }

    @Test
    void cpOfAnImageThatIsNotWholeSectorsIsIdenticalUpToItsEndAndPaddedWithZeros() {
        Path image = Data.random(tmp.resolve("odd.raw"), 3 * MiB + 1000, 57);

        Cmd.ok("cp", image.toString(), mnt.resolve("odd.img").toString());

        Path copy = mnt.resolve("odd.img");
        assertEquals(3 * MiB + 1024, Tools.statSize(copy), "a disk is whole sectors: the size rounds up to 512");
        Tools.cmp(image, 0, copy, 0, 3 * MiB + 1000);
        Tools.cmpZeros(copy, 3 * MiB + 1000, 24);
    }

    @Test
    void cpOfASparseImageKeepsTheHolesAndTheSize() {
        Path image = tmp.resolve("sparse.raw");
        Data.random(image, MiB, 52);
        Cmd.ok("truncate", "-s", "32M", image.toString());
        Data.writeAt(image, 10 * MiB, Data.randomBytes((int) MiB, 53));

        Cmd.ok("cp", "--sparse=always", image.toString(), mnt.resolve("sparse.img").toString());

        Path copy = mnt.resolve("sparse.img");
        assertEquals(32 * MiB, Tools.statSize(copy));
        Tools.cmp(image, copy);
        long du = Tools.du(copy);
        assertTrue(du <= 4 * MiB, "2 MiB of data in a 32 MiB image: the copy holds " + du + " bytes");
    }

    @Test
    void cpOverAnExistingDiskReplacesItsContent() {
        Path big = Data.random(tmp.resolve("big.raw"), 8 * MiB, 54);
        Path small = Data.random(tmp.resolve("small.raw"), 3 * MiB, 55);
        Path target = mnt.resolve("disk.img");
        Cmd.ok("cp", big.toString(), target.toString());

        Cmd.ok("cp", small.toString(), target.toString());

        Tools.cmp(small, target);
        assertEquals(3 * MiB, Tools.du(target), "the old 8 MiB are freed");
    }

    @Test
    void cpOutOfTheMountGivesTheSameBytesBack() {
        Path image = Data.random(tmp.resolve("image.raw"), 12 * MiB, 56);
        Cmd.ok("cp", image.toString(), mnt.resolve("a.img").toString());
        Path back = tmp.resolve("back.raw");

        Cmd.ok("cp", mnt.resolve("a.img").toString(), back.toString());

        Tools.cmp(image, back);
    }
}

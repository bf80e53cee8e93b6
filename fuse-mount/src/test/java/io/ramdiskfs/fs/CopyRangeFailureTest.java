package io.ramdiskfs.fs;

import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.DiskError;
import org.junit.jupiter.api.Test;

/**
 * A {@code copy_file_range} that fails part-way (the budget runs out, or the destination would
 * pass 1 PiB) after some of its 1 MiB pieces were written answers with the bytes copied, as a
 * short write does; it never reports an error over a destination it changed. Found by reading
 * {@code copyRange} while writing the hostile-request fuzzer (whose disks are too small to
 * reach a second piece).
 */
class CopyRangeFailureTest {
    private static final int MIB = 1 << 20;

    @Test
    void aCopyThatRunsOutOfBudgetAfterAPieceIsShortNotAnError() throws Exception {
        try (Fixture fx = Fixture.withLimit(4L * MIB + 3L * MIB / 2)) {
            long a = fx.addOpen("a", 4L * MIB);
            long b = fx.addOpen("b", 8L * MIB);
            fx.writePattern(a, 0, 4 * MIB, 1);

            // Unequal offsets: copied through the buffer, not shared. Room for one piece, not two.
            long n = fx.dir.copyRange(a, 0, b, 512, 3L * MIB);

            assertEquals(MIB, n, "the piece that fitted");
            Fixture.assertDiskBytes(Fixture.pattern(0, MIB, 1), fx.read(b, 512, MIB), 512, "the copied piece");
            fx.assertZeros(b, 512 + MIB, 2 * MIB);
            // The next call, for the rest, gets the error.
            Fixture.assertDiskError(DiskError.NO_SPACE, () -> fx.dir.copyRange(a, MIB, b, 512 + MIB, 2L * MIB));
        }
    }

    @Test
    void aCopyThatWouldPassOnePiBAfterAPieceIsShort() throws Exception {
        try (Fixture fx = new Fixture()) {
            long a = fx.addOpen("a", 4L * MIB);
            fx.add("b", 0);
            long b = fx.dir.open("/b", O_RDWR);
            fx.writePattern(a, 0, 4 * MIB, 2);

            long n = fx.dir.copyRange(a, 0, b, Fixture.PIB - MIB - 512, 3L * MIB);

            assertEquals(MIB, n);
            Fixture.assertDiskBytes(Fixture.pattern(0, MIB, 2), fx.read(b, Fixture.PIB - MIB - 512, MIB), Fixture.PIB - MIB - 512,
                    "the copied piece");
        }
    }
}

package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;

/**
 * A copy of a disk taken before a request that must change nothing; {@link #assertUnchanged}
 * compares size and every byte (a difference is reported with its offset, expected and found byte).
 */
record DiskSnapshot(Path disk, Path copy, long size) {
    static DiskSnapshot of(Path disk, Path copy) {
        Data.copy(disk, copy);
        return new DiskSnapshot(disk, copy, Tools.statSize(disk));
    }

    /** Same size, same bytes; {@code after} names the request in the failure message. */
    void assertUnchanged(String after) {
        assertEquals(size, Tools.statSize(disk), "size of " + disk + " after " + after);
        try {
            Data.assertSameContent(copy, disk);
        } catch (AssertionError e) {
            throw new AssertionError("after " + after + ": " + e.getMessage(), e);
        }
    }
}

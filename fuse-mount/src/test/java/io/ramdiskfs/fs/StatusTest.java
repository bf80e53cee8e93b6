package io.ramdiskfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import io.ramdiskfs.status.StatusJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every request is counted once, on its disk, and the root serves the whole mount as JSON. */
class StatusTest {
    @Test
    void readsWritesAndDiscardsAreCountedOncePerRequest() throws Exception {
        try (Fixture fx = Fixture.withLimit(64L << 20)) {
            long fh = fx.addOpen("b", 1 << 20);
            fx.add("a", 4096);
            byte[] data = new byte[8192];
            for (int i = 0; i < 3; i++) {
                fx.write(fh, i * 8192L, data);
            }
            fx.read(fh, 0, 4096);
            fx.read(fh, (1 << 20) - 100, 4096); // short: 100 bytes
            fx.dir.fallocate(fh, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, 0, 16384);
            assertThrows(DiskException.class, () -> fx.write(fh, 1L << 50, data)); // past the largest disk

            MountStatus s = fx.dir.status();
            assertEquals(64L << 20, s.memoryLimitBytes());
            assertEquals(List.of("a", "b"), s.disks().stream().map(DiskStatus::name).toList());
            DiskStatus b = s.disks().get(1);
            assertEquals(3, b.writes().operations());
            assertEquals(3 * 8192, b.writes().bytes());
            assertEquals(1, b.writes().errors());
            assertEquals(2, b.reads().operations());
            assertEquals(4096 + 100, b.reads().bytes());
            assertEquals(1, b.discards().operations());
            assertEquals(16384, b.discards().bytes());
            assertEquals(0, s.disks().get(0).reads().operations());
            assertEquals(s.memoryUsedBytes(), b.committedBytes());
        }
    }

    @Test
    void countersFollowADiskThroughARename() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("old", 1 << 20);
            fx.write(fh, 0, new byte[512]);
            fx.dir.rename("/old", "/new");
            assertEquals(1, fx.dir.status().disks().get(0).writes().operations());
            assertEquals("new", fx.dir.status().disks().get(0).name());
        }
    }

    @Test
    void theRootServesTheStatusDocumentAndListsIt() throws Exception {
        try (Fixture fx = new Fixture(new MemoryBudget(1 << 30), false)) {
            fx.add("disk0", 1 << 20);
            assertEquals(List.of(ControlAttributes.STATUS), fx.dir.xattrNames("/"));
            String json = new String(fx.dir.xattr("/", ControlAttributes.STATUS), StandardCharsets.UTF_8);
            MountStatus s = StatusJson.parse(json);
            assertEquals(1 << 30, s.memoryLimitBytes());
            assertEquals("disk0", s.disks().get(0).name());
            assertEquals(1 << 20, s.disks().get(0).sizeBytes());
        }
    }
}

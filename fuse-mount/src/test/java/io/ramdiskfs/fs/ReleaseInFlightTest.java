package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The kernel sends FUSE_RELEASE in the background: close(2) returns before ramdiskfs hears of it,
 * so a rollback right after a writer closed the disk found the handle still counted and answered
 * EBUSY (bench/soak.sh met it under load, about once in a thousand). A rollback (and a commit)
 * waits a moment for releases in flight; a writer that really holds the disk still gets EBUSY.
 */
class ReleaseInFlightTest {
    @Test
    void aRollbackWaitsForAReleaseThatArrivesJustAfterIt() throws Exception {
        try (Fixture f = new Fixture()) {
            long fh = f.addOpen("d", 64 << 10);
            f.write(fh, 0, Fixture.pattern(0, 4096, 1));
            f.dir.snapshotDisk("/d", "s");
            f.write(fh, 0, Fixture.pattern(0, 4096, 2));
            // The writer has closed; its release reaches ramdiskfs 100 ms later.
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> f.dir.release(fh),
                    CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
            f.dir.setXattr("/d", ControlAttributes.ROLLBACK, "s", 0, 0);
            release.get();
            long rd = f.dir.open("/d", Fixture.O_RDONLY);
            assertArrayEquals(Fixture.pattern(0, 4096, 1), f.read(rd, 0, 4096));
        }
    }

    @Test
    void aWriterThatStaysGetsEbusyAfterTheGraceAndNothingChanges() throws Exception {
        try (Fixture f = new Fixture()) {
            long fh = f.addOpen("d", 64 << 10);
            f.write(fh, 0, Fixture.pattern(0, 4096, 1));
            f.dir.snapshotDisk("/d", "s");
            f.write(fh, 0, Fixture.pattern(0, 4096, 2));
            long start = System.nanoTime();
            FsException e = assertThrows(FsException.class, () -> f.dir.setXattr("/d", ControlAttributes.ROLLBACK, "s", 0, 0));
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertEquals(Errno.EBUSY, e.errno());
            assertTrue(waited >= DirectoryLock.RELEASE_GRACE_MILLIS - 5 && waited < DirectoryLock.RELEASE_GRACE_MILLIS + 2000,
                    "waited " + waited + " ms");
            assertArrayEquals(Fixture.pattern(0, 4096, 2), f.read(fh, 0, 4096));
        }
    }
}

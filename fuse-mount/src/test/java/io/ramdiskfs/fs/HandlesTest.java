package io.ramdiskfs.fs;

import io.ramdiskfs.disks.Errno;

import static io.ramdiskfs.fs.Fixture.CHUNK;
import static io.ramdiskfs.fs.Fixture.O_RDONLY;
import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Open handles: unknown handles, handles that outlive their name, and when memory comes back. */
class HandlesTest {

    @Test
    void everyOperationOnAnUnknownHandleIsEbadf() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("disk0", 4096);
            byte[] b = new byte[10];
            for (long fh : new long[] {0, 1, 63, 64, 1 << 20, -1, Long.MAX_VALUE, Long.MIN_VALUE}) {
                assertFsErrno(Errno.EBADF, () -> fx.dir.file(fh), "file " + fh);
                assertFsErrno(Errno.EBADF, () -> fx.dir.read(fh, 0, b, NativeMemory.BYTE_ARRAY_BASE, 10), "read " + fh);
                assertFsErrno(Errno.EBADF, () -> fx.dir.write(fh, 0, b, NativeMemory.BYTE_ARRAY_BASE, 10), "write " + fh);
                assertFsErrno(Errno.EBADF, () -> fx.dir.ftruncate(fh, 0), "ftruncate " + fh);
                assertFsErrno(Errno.EBADF, () -> fx.dir.fallocate(fh, 0, 0, 512), "fallocate " + fh);
                assertFsErrno(Errno.EBADF, () -> fx.dir.fsync(fh), "fsync " + fh);
                fx.dir.release(fh); // releasing an unknown handle is harmless
            }
            assertEquals(4096, fx.dir.lookup("/disk0").size(), "unknown handles leave the disk alone");
        }
    }

    @Test
    void aReleasedHandleIsEbadf() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", 4096);
            fx.dir.release(fh);
            assertFsErrno(Errno.EBADF, () -> fx.dir.file(fh));
            assertFsErrno(Errno.EBADF, () -> fx.read(fh, 0, 1));
        }
    }

    @Test
    void releasingTwiceDoesNotFreeTheSlotTwice() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 512);
            fx.add("b", 1024);
            long h = fx.dir.open("/a", O_RDONLY);
            fx.dir.release(h);
            fx.dir.release(h);
            long x = fx.dir.open("/a", O_RDONLY);
            long y = fx.dir.open("/b", O_RDONLY);
            assertNotEquals(x, y, "a doubly released slot must not be handed out twice");
            assertEquals(512, fx.dir.file(x).size());
            assertEquals(1024, fx.dir.file(y).size());
        }
    }

    @Test
    void manyOpenHandlesAreDistinctAndFindTheirDisks() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.add("a", 512);
            fx.add("b", 1024);
            Set<Long> seen = new HashSet<>();
            long[] handles = new long[300];
            for (int i = 0; i < handles.length; i++) {
                handles[i] = fx.dir.open(i % 2 == 0 ? "/a" : "/b", O_RDONLY);
                assertTrue(seen.add(handles[i]), "handle " + handles[i] + " handed out twice");
            }
            for (int i = 0; i < handles.length; i++) {
                assertEquals(i % 2 == 0 ? 512 : 1024, fx.dir.file(handles[i]).size(), "handle " + handles[i]);
            }
            for (int i = 0; i < handles.length; i += 3) {
                fx.dir.release(handles[i]);
            }
            for (int i = 0; i < handles.length; i++) {
                if (i % 3 != 0) {
                    assertEquals(i % 2 == 0 ? 512 : 1024, fx.dir.file(handles[i]).size(), "handle " + handles[i]);
                }
            }
        }
    }

    @Test
    void unlinkWhileOpenKeepsTheHandleWorkingUntilTheLastRelease() throws Exception {
        try (Fixture fx = new Fixture()) {
            long a = fx.addOpen("disk0", 2 * CHUNK);
            long b = fx.dir.open("/disk0", O_RDWR);
            fx.writePattern(a, 0, CHUNK + 10, 1);
            assertEquals(2L * CHUNK, fx.budget.used());

            fx.dir.unlink("/disk0");
            assertFsErrno(Errno.ENOENT, () -> fx.dir.lookup("/disk0"));
            assertTrue(fx.dir.names().isEmpty());

            fx.assertPattern(a, 0, CHUNK + 10, 1);
            fx.writePattern(b, 5, 100, 2);
            fx.assertPattern(a, 5, 100, 2);
            fx.dir.ftruncate(b, 4 * CHUNK);
            fx.dir.fallocate(a, Fallocate.PUNCH_HOLE | Fallocate.KEEP_SIZE, CHUNK, CHUNK);
            assertEquals(CHUNK, fx.budget.used(), "the unlinked disk still holds its memory");

            fx.dir.release(a);
            assertEquals(CHUNK, fx.budget.used(), "one handle is still open");
            fx.assertPattern(b, 5, 100, 2);

            fx.dir.release(b);
            assertEquals(0, fx.budget.used(), "memory returns after the last release");
        }
    }

    @Test
    void aNewDiskUnderTheUnlinkedNameIsSeparate() throws Exception {
        try (Fixture fx = new Fixture()) {
            long old = fx.addOpen("disk0", CHUNK);
            fx.writePattern(old, 0, CHUNK, 1);
            fx.dir.unlink("/disk0");
            long fresh = fx.dir.create("/disk0", 0644, 0, 0);
            assertEquals(0, fx.dir.file(fresh).size());
            fx.writePattern(fresh, 0, 512, 2);
            fx.assertPattern(old, 0, CHUNK, 1);
            fx.dir.release(old);
            fx.assertPattern(fresh, 0, 512, 2);
            assertEquals(CHUNK, fx.budget.used(), "only the new disk's chunk is held");
        }
    }

    @Test
    void renameWhileOpenKeepsTheHandleWorking() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("old", 4096);
            fx.writePattern(fh, 0, 1000, 1);
            fx.dir.rename("/old", "/new");
            fx.assertPattern(fh, 0, 1000, 1);
            fx.writePattern(fh, 1000, 1000, 2);
            long again = fx.dir.open("/new", O_RDONLY);
            assertSame(fx.dir.file(fh), fx.dir.file(again));
            fx.assertPattern(again, 1000, 1000, 2);
            fx.dir.release(fh);
            fx.dir.release(again);
            assertEquals(CHUNK, fx.budget.used(), "a renamed disk is not freed by its release");
            fx.dir.unlink("/new");
            assertEquals(0, fx.budget.used());
        }
    }

    @Test
    void releaseOfALinkedDiskKeepsIt() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", CHUNK);
            fx.writePattern(fh, 0, CHUNK, 1);
            fx.dir.release(fh);
            assertEquals(CHUNK, fx.budget.used());
            long again = fx.dir.open("/disk0", O_RDONLY);
            fx.assertPattern(again, 0, CHUNK, 1);
        }
    }

    @Test
    void unlinkThenReleaseOfTheOnlyHandleFreesOnce() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("disk0", CHUNK);
            fx.writePattern(fh, 0, 1, 1);
            fx.dir.unlink("/disk0");
            fx.dir.release(fh);
            fx.dir.release(fh);
            assertEquals(0, fx.budget.used());
        }
    }

    @Test
    void closeAllAlsoFreesUnlinkedDisksThatAreStillOpen() throws Exception {
        Fixture fx = new Fixture();
        long kept = fx.addOpen("kept", CHUNK);
        long gone = fx.addOpen("gone", 2 * CHUNK);
        fx.writePattern(kept, 0, CHUNK, 1);
        fx.writePattern(gone, 0, 2 * CHUNK, 2);
        fx.dir.unlink("/gone");
        assertEquals(3L * CHUNK, fx.budget.used());
        fx.dir.closeAll(); // unmount without the kernel having released every handle
        assertEquals(0, fx.budget.used(), "every disk's memory is returned at unmount, unlinked or not");
        fx.dir.release(kept);
        fx.dir.release(gone); // a late release closes nothing twice
        assertEquals(0, fx.budget.used());
    }
}

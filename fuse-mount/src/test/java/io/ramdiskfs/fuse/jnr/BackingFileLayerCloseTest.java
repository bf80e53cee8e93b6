package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.NativeMemory;
import org.junit.jupiter.api.Test;

/**
 * Issue #20 item 13: a passthrough disk's layer after its close must not touch the descriptor
 * number, which the process gives to the next file it opens (here a memfd, the same shmem code
 * as the private tmpfs); a failed {@code statx} must not read as a disk of size 0; and a
 * read-only disk's file is never extended to whole sectors.
 */
class BackingFileLayerCloseTest {
    static final int SS = 512;
    private final Libc libc = Libc.get();

    private int memfd(long size) {
        int fd = libc.memfd_create("ramdiskfs-close-test", 0);
        assertTrue(fd >= 0, "memfd_create");
        assertEquals(0, libc.ftruncate(fd, size));
        return fd;
    }

    private long fileSize(int fd) {
        return libc.lseek(fd, 0, 2); // SEEK_END
    }

    @Test
    void aCallAfterTheCloseLeavesTheFileThatReusedTheDescriptorAlone() throws Exception {
        int fd = memfd(1 << 20);
        BackingFileLayer layer = new BackingFileLayer(fd, SS, false);
        assertEquals((1 << 20) / SS, layer.sectorCount());
        layer.close();
        int other = memfd(4096);
        long buf = NativeMemory.allocate(4096);
        try {
            NativeMemory.zero(null, buf, 4096);
            NativeMemory.putLong(buf, 0x5eed);
            DiskException e = assertThrows(DiskException.class, () -> layer.write(null, buf, 0, 8, false));
            assertEquals(DiskError.IO, e.error());
            assertThrows(DiskException.class, () -> layer.resize(1));
            assertThrows(DiskException.class, () -> layer.unmap(0, 8, 0));
            assertThrows(DiskException.class, () -> layer.read(null, buf, 0, 8, null));
            assertEquals((1 << 20) / SS, layer.sectorCount(), "the last size known, not 0 nor the other file's");
            layer.close(); // twice: nothing more

            assertEquals(4096, fileSize(other), "the file that got the descriptor number was resized");
            NativeMemory.zero(null, buf, 4096);
            assertEquals(4096, libc.pread(other, buf, 4096, 0));
            assertEquals(0, NativeMemory.getLong(buf), "the file that got the descriptor number was written");
        } finally {
            NativeMemory.free(buf);
            libc.close(other);
        }
    }

    /**
     * Reads racing the close: each either reads or is refused as closed; none meets a descriptor
     * closed under it ({@code pread} failing with EBADF), which is what a call in flight at the
     * close met before, or worse, a file opened meanwhile under the same number.
     */
    @Test
    void readsRacingTheCloseNeverMeetAClosedDescriptor() throws Exception {
        for (int round = 0; round < 30; round++) {
            BackingFileLayer layer = new BackingFileLayer(memfd(1 << 20), SS, false);
            java.util.concurrent.ConcurrentLinkedQueue<Throwable> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(4);
            Thread[] readers = new Thread[4];
            for (int t = 0; t < readers.length; t++) {
                readers[t] = new Thread(() -> {
                    long buf = NativeMemory.allocate(8 * SS);
                    try {
                        started.countDown();
                        for (long i = 0; ; i++) {
                            try {
                                layer.read(null, buf, (i * 8) % 2048, 8, null);
                            } catch (DiskException e) {
                                if (!e.getMessage().contains("is closed")) {
                                    wrong.add(e);
                                }
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        wrong.add(e);
                    } finally {
                        NativeMemory.free(buf);
                    }
                });
                readers[t].start();
            }
            started.await();
            Thread.sleep(2);
            layer.close();
            for (Thread t : readers) {
                t.join(10_000);
            }
            assertTrue(wrong.isEmpty(), "round " + round + ": " + wrong);
        }
    }

    @Test
    void aReadOnlyDiskWithAPartialSectorIsNotExtended() throws Exception {
        int fd = memfd(SS * 4 + 100);
        try (BackingFileLayer layer = new BackingFileLayer(fd, SS, true)) {
            assertEquals(5, layer.sectorCount(), "the partial sector counts");
            assertEquals(SS * 4 + 100, fileSize(fd), "a read-only disk's file changed");
            long buf = NativeMemory.allocate(SS);
            try {
                NativeMemory.putLong(buf + SS - 8, -1);
                layer.read(null, buf, 4, 1, null);
                assertEquals(0, NativeMemory.getLong(buf + SS - 8), "past the file's end reads zeros");
            } finally {
                NativeMemory.free(buf);
            }
        }
    }

    @Test
    void aWritableDiskWithAPartialSectorIsExtendedToWholeSectors() throws Exception {
        int fd = memfd(SS * 4 + 100);
        try (BackingFileLayer layer = new BackingFileLayer(fd, SS, false)) {
            assertEquals(5, layer.sectorCount());
            assertEquals(SS * 5, fileSize(fd));
        }
    }
}

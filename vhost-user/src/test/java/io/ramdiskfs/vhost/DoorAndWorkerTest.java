package io.ramdiskfs.vhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.SectorPattern;
import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.vhost.FakeGuest.Buf;
import io.ramdiskfs.vhost.os.EventFd;
import io.ramdiskfs.vhost.os.Os;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker thread on real eventfds, and the door's sockets following a namespace. */
class DoorAndWorkerTest {
    @Test
    void workerServesOnKickAndSignalsCall() throws Exception {
        try (FakeGuest guest = new FakeGuest(128, 1 << 20)) {
            TestDisk disk = new TestDisk("d", 1 << 20);
            int kick = EventFd.create();
            int call = EventFd.create();
            long buf = NativeMemory.allocate(8);
            QueueWorker w = new QueueWorker("test q0", guest.queue(true), new BlkRequests(disk, false), kick, call, -1, () -> { });
            try {
                w.start();
                EventFd.drain(call, buf); // the start-up signal
                long h = guest.header(BlkProtocol.T_OUT, 16);
                long d = guest.alloc(4096);
                guest.put(d, SectorPattern.bytes(16 * 512, 4096, 5));
                long s = guest.alloc(1, (byte) 0x55);
                guest.submit(List.of(new Buf(h, 16, false), new Buf(d, 4096, false), new Buf(s, 1, true)), false);
                EventFd.signal(kick, buf);
                assertTrue(EventFd.drain(call, buf) > 0, "the call eventfd was signalled");
                assertEquals(1, guest.usedIdx());
                assertEquals(BlkProtocol.S_OK, guest.status(s));
                byte[] back = new byte[4096];
                disk.disk().bytes().read(16 * 512, back, NativeMemory.BYTE_ARRAY_BASE, 4096);
                SectorPattern.check(back, 16 * 512, 5);
            } finally {
                w.stop();
                Os.closeQuietly(kick);
                Os.closeQuietly(call);
                NativeMemory.free(buf);
                disk.disk().close();
            }
            assertFalse(w.broken());
        }
    }

    /** A namespace of test disks that tells its watcher what the test does. */
    static final class TestNamespace implements DiskNamespace {
        final List<ServedDisk> disks = new ArrayList<>();
        NamespaceWatcher watcher;

        @Override
        public List<ServedDisk> disks() {
            return List.copyOf(disks);
        }

        @Override
        public Optional<ServedDisk> find(String name) {
            return disks.stream().filter(d -> d.name().equals(name)).findFirst();
        }

        @Override
        public AutoCloseable watch(NamespaceWatcher w) {
            watcher = w;
            disks.forEach(w::created);
            return () -> watcher = null;
        }
    }

    @Test
    void socketsFollowTheDisksAndServeOneFrontEndAtATime(@TempDir Path dir) throws Exception {
        TestNamespace ns = new TestNamespace();
        TestDisk a = new TestDisk("a", 1 << 20);
        ns.disks.add(a);
        try (VhostUserDoor door = VhostUserDoor.open(dir.resolve("vu"), ns)) {
            Path sa = dir.resolve("vu/a.sock");
            assertTrue(Files.exists(sa), "a.sock exists at mount");
            try (SocketChannel first = SocketChannel.open(UnixDomainSocketAddress.of(sa))) {
                waitFor(() -> a.writingHolds.get() == 1, "the connected front end holds the disk for writing");
                try (SocketChannel second = SocketChannel.open(UnixDomainSocketAddress.of(sa))) {
                    assertEquals(-1, second.read(ByteBuffer.allocate(1)), "a second front end is refused");
                }
                // GET_FEATURES over the wire.
                ByteBuffer m = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                m.putInt(VhostUserRequest.GET_FEATURES).putInt(1).putInt(0).flip();
                first.write(m);
                ByteBuffer r = ByteBuffer.allocate(20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                while (r.hasRemaining() && first.read(r) >= 0) { }
                r.flip();
                assertEquals(VhostUserRequest.GET_FEATURES, r.getInt());
                assertEquals(5, r.getInt(), "reply flags are exactly version | REPLY");
                assertEquals(8, r.getInt());
                assertEquals(VirtioFeatures.OFFERED, r.getLong());
            }
            waitFor(() -> a.writingHolds.get() == 0, "the hold goes with the front end");
            a.name = "b";
            ns.watcher.renamed(a, "a");
            assertTrue(Files.exists(dir.resolve("vu/b.sock")) && !Files.exists(sa), "the socket follows mv");
            ns.watcher.removed(a, "b");
            assertFalse(Files.exists(dir.resolve("vu/b.sock")), "the socket goes with rm");
            TestDisk c = new TestDisk("c", 1 << 20);
            ns.watcher.created(c);
            assertTrue(Files.exists(dir.resolve("vu/c.sock")));
        }
        assertFalse(Files.exists(dir.resolve("vu/c.sock")), "unmount removes every socket");
    }

    @Test
    void aDoorThatCannotServeTheDisksPresentRefusesToOpenAndSaysWhere(@TempDir Path dir) throws Exception {
        TestNamespace ns = new TestNamespace();
        ns.disks.add(new TestDisk("a", 1 << 20));
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException notDir = assertThrows(IOException.class, () -> VhostUserDoor.open(file, ns));
        assertEquals("the vhost-user socket directory " + file + " is not a directory", notDir.getMessage());
        // A socket path longer than sun_path holds: the disk present at open cannot be bound.
        Path deep = dir.resolve("d".repeat(120));
        IOException tooLong = assertThrows(IOException.class, () -> VhostUserDoor.open(deep, ns));
        assertTrue(tooLong.getMessage().startsWith("vhost-user: disk a cannot be served on " + deep.resolve("a.sock")), tooLong.getMessage());
        assertTrue(tooLong.getMessage().contains("longer than the 107"), tooLong.getMessage());
        assertTrue(ns.watcher == null, "a door that failed to open stops following the namespace");
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            Thread.sleep(10);
        }
    }
}

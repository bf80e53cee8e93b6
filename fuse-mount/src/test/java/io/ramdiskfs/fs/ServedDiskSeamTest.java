package io.ramdiskfs.fs;

import static io.ramdiskfs.fs.Fixture.O_RDWR;
import static io.ramdiskfs.fs.Fixture.assertFsErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The seam a second door (vhost-user-blk) codes against, seen through the FUSE door's
 * {@link DiskDirectory}: a watcher hears every namespace change in order, with the names before
 * and after; a disk keeps its identity through renames; a door's hold counts as an open handle.
 */
class ServedDiskSeamTest {
    /** Writes down every call as a line, "renamed 7 b<-a", in the order they came. */
    static class Recorder implements NamespaceWatcher {
        final List<String> heard = new ArrayList<>();

        @Override
        public synchronized void created(ServedDisk disk) {
            heard.add("created " + disk.id() + " " + disk.name());
        }

        @Override
        public synchronized void renamed(ServedDisk disk, String oldName) {
            heard.add("renamed " + disk.id() + " " + disk.name() + "<-" + oldName);
        }

        @Override
        public synchronized void removed(ServedDisk disk, String name) {
            heard.add("removed " + disk.id() + " " + name);
        }

        @Override
        public synchronized void attributesChanged(ServedDisk disk) {
            heard.add("attributes " + disk.id() + " " + disk.name() + " " + Integer.toOctalString(disk.mode()) + " "
                    + disk.uid() + ":" + disk.gid());
        }

        @Override
        public synchronized void resized(ServedDisk disk) {
            heard.add("resized " + disk.id() + " " + disk.name() + " " + disk.disk().sizeBytes());
        }

        synchronized List<String> take() {
            List<String> got = List.copyOf(heard);
            heard.clear();
            return got;
        }
    }

    @Test
    void aWatcherHearsEveryChangeInOrderWithItsNames() throws Exception {
        try (Fixture fx = new Fixture()) {
            DiskNamespace ns = fx.dir;
            long old = fx.add("old", 4096).id();
            Recorder r = new Recorder();
            try (AutoCloseable w = ns.watch(r)) {
                assertEquals(List.of("created " + old + " old"), r.take(), "a new watcher hears of the disks present first");

                fx.dir.release(fx.dir.create("/a", 0644, 0, 0));
                long a = ns.find("a").orElseThrow().id();
                fx.dir.rename("/a", "/b");
                fx.dir.chmod("/b", 0600);
                fx.dir.chown("/b", 1000, 100);
                fx.dir.truncate("/b", 1 << 20);
                fx.dir.truncate("/b", 1 << 20); // no change: nothing told
                fx.dir.rename("/b", "/old"); // replaces old
                fx.dir.unlink("/old");
                assertEquals(List.of(
                        "created " + a + " a",
                        "renamed " + a + " b<-a",
                        "attributes " + a + " b 600 0:0",
                        "attributes " + a + " b 600 1000:100",
                        "resized " + a + " b " + (1 << 20),
                        "removed " + old + " old",
                        "renamed " + a + " old<-b",
                        "removed " + a + " old"), r.take());
                assertTrue(ns.disks().isEmpty(), "nothing left: " + ns.disks());
            }
            fx.dir.release(fx.dir.create("/after", 0644, 0, 0));
            assertEquals(List.of(), r.take(), "a closed watch hears nothing more");
        }
    }

    @Test
    void aCloneAWriteThatGrowsAndTheUnmountAreTold() throws Exception {
        try (Fixture fx = new Fixture()) {
            Recorder r = new Recorder();
            ServedDisk d = fx.add("d", 4096);
            fx.dir.watch(r);
            r.take();
            long fh = fx.dir.open("/d", O_RDWR);
            fx.writePattern(fh, 0, 4096, 1); // within the size: no resize
            fx.writePattern(fh, 4096, 512, 1);
            fx.dir.release(fh);
            fx.dir.setXattr("/d", ControlAttributes.CLONE, "c", 0, 0);
            long c = fx.dir.find("c").orElseThrow().id();
            fx.dir.closeAll();
            List<String> heard = r.take();
            assertEquals(List.of("resized " + d.id() + " d 4608", "created " + c + " c"), heard.subList(0, 2));
            assertEquals(java.util.stream.Stream.of("removed " + c + " c", "removed " + d.id() + " d").sorted().toList(), heard.subList(2, 4).stream().sorted().toList(),
                    "the unmount removes every disk: " + heard);
            assertEquals(4, heard.size(), heard.toString());
        }
    }

    @Test
    void aDiskKeepsItsIdentityThroughRenames() throws Exception {
        try (Fixture fx = new Fixture()) {
            ServedDisk a = fx.add("a", 4096);
            fx.dir.rename("/a", "/z");
            ServedDisk z = fx.dir.find("z").orElseThrow();
            assertSame(a, z);
            assertEquals("z", z.name());
            assertFalse(fx.dir.find("a").isPresent());
            fx.add("a", 4096);
            assertTrue(fx.dir.find("a").orElseThrow().id() != a.id(), "a new disk called a is another disk");
        }
    }

    @Test
    void aWatcherThatCallsBackIntoTheNamespaceDoesNotDeadlockIt() throws Exception {
        try (Fixture fx = new Fixture()) {
            List<String> seen = new ArrayList<>();
            fx.dir.watch(new Recorder() {
                @Override
                public synchronized void created(ServedDisk disk) {
                    // Another thread changing the namespace while this one is told: it must get the lock.
                    CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                        if (disk.name().equals("first")) {
                            fx.add("second", 512);
                        }
                    });
                    try {
                        other.get(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new AssertionError("the namespace stayed locked while its watcher ran", e);
                    }
                    seen.add(disk.name() + " " + fx.dir.find(disk.name()).isPresent());
                }
            });
            fx.add("first", 512);
            assertEquals(List.of("first true", "second true"), seen);
        }
    }

    @Test
    void aWatcherThatThrowsIsDroppedForThatCallOnly() throws Exception {
        try (Fixture fx = new Fixture()) {
            Recorder r = new Recorder();
            fx.dir.watch(new Recorder() {
                @Override
                public synchronized void created(ServedDisk disk) {
                    throw new IllegalStateException("watcher bug");
                }
            });
            fx.dir.watch(r);
            fx.add("x", 512);
            fx.dir.unlink("/x");
            assertEquals(2, r.take().size(), "the other watcher hears both");
        }
    }

    @Test
    void aWritingHoldMakesRollbackBusyAndItsCloseReleasesIt() throws Exception {
        try (Fixture fx = new Fixture()) {
            fx.dir.releaseGrace(Duration.ofMillis(50));
            long fh = fx.addOpen("vm", 64 << 10);
            fx.writePattern(fh, 0, 4096, 1);
            fx.dir.snapshotDisk("/vm", "s");
            fx.writePattern(fh, 0, 4096, 2);
            fx.dir.release(fh);
            ServedDisk vm = fx.dir.find("vm").orElseThrow();

            DiskHold hold = vm.hold("vhost-user connection on vm.sock", true);
            assertFsErrno(Errno.EBUSY, () -> fx.dir.setXattr("/vm", ControlAttributes.ROLLBACK, "s", 0, 0), "disk rollback");
            assertFsErrno(Errno.EBUSY, () -> fx.dir.setXattr("/", ControlAttributes.ROLLBACK, "s", 0, 0), "mount rollback");
            long rd = fx.dir.open("/vm", Fixture.O_RDONLY);
            fx.assertPattern(rd, 0, 4096, 2);

            hold.close();
            hold.close(); // twice is harmless: the count is not taken twice
            try (DiskHold reading = vm.hold("a reader", false)) {
                fx.dir.setXattr("/vm", ControlAttributes.ROLLBACK, "s", 0, 0);
            }
            fx.assertPattern(rd, 0, 4096, 1);
            fx.dir.release(rd);
        }
    }

    @Test
    void aHeldDiskOutlivesItsRemovalAndCannotBeHeldOnceGone() throws Exception {
        try (Fixture fx = new Fixture()) {
            long fh = fx.addOpen("d", 64 << 10);
            fx.writePattern(fh, 0, 4096, 3);
            fx.dir.release(fh);
            ServedDisk d = fx.dir.find("d").orElseThrow();
            DiskHold hold = d.hold("door", true);
            fx.dir.unlink("/d");
            assertTrue(fx.budget.used() > 0, "the held disk keeps its memory");
            assertFsErrno(Errno.ENOENT, () -> d.hold("late door", false));
            hold.close();
            assertEquals(0, fx.budget.used(), "the last hold's close frees it");
        }
    }

    @Test
    void aReadOnlyDiskIsHeldForReadingOnly() throws Exception {
        try (Fixture fx = new Fixture()) {
            ServedDisk ro = fx.add("ro", 4096, true);
            assertFsErrno(Errno.EROFS, () -> ro.hold("door", true));
            ro.hold("door", false).close();
        }
    }
}

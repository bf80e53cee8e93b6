package io.ramdiskfs.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue #20 item 3: a whole-mount rollback waits for a disk's writer to go, and the wait gives up
 * the directory's monitor. A disk it had checked before the wait may be opened for writing during
 * it; the rollback must see that writer (EBUSY, nothing changed), not roll the disk back under it.
 *
 * <p>The interleaving is forced: the rollback waits on the one disk held for writing; while it
 * waits, the other disk is opened for writing and then the held one released. Which disk the
 * rollback checks first is the snapshot's business, so the test is run with each disk as the
 * held one: in one of the two the other was checked before the wait.
 */
class RollbackRecheckTest {
    @Test
    void aWriterThatOpensADiskDuringTheWaitMakesTheRollbackBusy() throws Exception {
        for (String held : List.of("a", "b")) {
            String other = held.equals("a") ? "b" : "a";
            try (Fixture fx = new Fixture()) {
                fx.dir.releaseGrace(Duration.ofSeconds(2));
                long fa = fx.addOpen("a", 64 << 10);
                long fb = fx.addOpen("b", 64 << 10);
                fx.writePattern(fa, 0, 4096, 1);
                fx.writePattern(fb, 0, 4096, 1);
                fx.dir.snapshotAll("s");
                fx.writePattern(fa, 0, 4096, 2);
                fx.writePattern(fb, 0, 4096, 2);
                fx.dir.release(held.equals("a") ? fb : fa); // only the held disk has a writer now
                long heldFh = held.equals("a") ? fa : fb;

                CompletableFuture<Thread> rollbackThread = new CompletableFuture<>();
                CompletableFuture<Void> rollback = CompletableFuture.runAsync(() -> {
                    rollbackThread.complete(Thread.currentThread());
                    try {
                        fx.dir.setXattr("/", ControlAttributes.ROLLBACK, "s", 0, 0);
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                awaitWaiting(rollbackThread.get(5, TimeUnit.SECONDS));
                // The rollback waits for the held disk's writer, the monitor given up: a VM starts on the other.
                long vm = fx.dir.open("/" + other, Fixture.O_RDWR);
                fx.dir.release(heldFh);

                try {
                    rollback.get(10, TimeUnit.SECONDS);
                    fail("held " + held + ": the mount was rolled back while " + other + " was open for writing");
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof FsException, "held " + held + ": " + e.getCause());
                    FsException fs = (FsException) e.getCause();
                    assertEquals(Errno.EBUSY, fs.errno(), "held " + held + ": " + fs.getMessage());
                    assertTrue(fs.getMessage().contains("disk " + other + " "), fs.getMessage());
                }
                fx.assertPattern(vm, 0, 4096, 2);
                long rd = fx.dir.open("/" + held, Fixture.O_RDONLY);
                fx.assertPattern(rd, 0, 4096, 2); // all or none: the released disk is not rolled back either
                fx.dir.release(rd);
                fx.dir.release(vm);
            }
        }
    }

    /** Returns once {@code t} waits on a monitor with a timeout (the rollback's wait for writers). */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > deadline) {
                fail("the rollback never waited for the writer; it is " + t.getState());
            }
            Thread.sleep(1);
        }
    }
}

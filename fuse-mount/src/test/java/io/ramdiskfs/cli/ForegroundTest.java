package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.MountException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The foreground lifecycle: signals, a busy mount, lazy detach, unmount from outside. */
@Timeout(20)
class ForegroundTest {
    private final FakeMount mount = new FakeMount(Path.of("/mnt/rd"));
    private final Foreground fg = new Foreground(mount, LoggerFactory.getLogger(ForegroundTest.class), 20);

    private CompletableFuture<Integer> serve() {
        return CompletableFuture.supplyAsync(fg::serve);
    }

    private static MountException busy() {
        return new MountException("/mnt/rd is busy (a loop device or an open file?): fusermount: failed to unmount /mnt/rd: Device or resource busy");
    }

    @Test
    void signalUnmountsAndExitsZero() throws Exception {
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGINT");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("close"), mount.calls);
    }

    @Test
    void sigtermToo() throws Exception {
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGTERM");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
    }

    @Test
    void busyMountKeepsServingAndRetriesUntilReleased() throws Exception {
        for (int i = 0; i < 5; i++) {
            mount.closeFailures.add(busy());
        }
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGTERM");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        assertEquals(6, mount.count("close"), "five busy attempts, then the one that worked");
        assertEquals(0, mount.count("lazy"));
    }

    @Test
    void secondSignalDetachesLazily() throws Exception {
        mount.alwaysFailing = busy();
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGINT");
        waitFor(() -> mount.count("close") >= 2);
        assertFalse(code.isDone(), "busy: still serving");
        fg.onSignal("SIGINT");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        assertEquals(1, mount.count("lazy"));
        long closes = mount.count("close");
        Thread.sleep(100);
        assertEquals(closes, mount.count("close"), "no more retries once detached");
    }

    @Test
    void failedLazyDetachIsExitOne() throws Exception {
        mount.closeFailures.add(busy());
        mount.closeFailures.add(busy());
        mount.closeFailures.add(busy());
        mount.lazyFailure = new MountException("could not detach /mnt/rd: fusermount: entry for /mnt/rd not found");
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGINT");
        fg.onSignal("SIGINT");
        assertEquals(1, code.get(5, TimeUnit.SECONDS));
    }

    @Test
    void thirdSignalExitsAtOnce() throws Exception {
        java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
        Foreground stuck = new Foreground(new FakeMount(Path.of("/mnt/rd")) {
            @Override
            public synchronized void close() throws MountException {
                closing.countDown();
                try {
                    Thread.sleep(60_000); // fusermount hanging
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, LoggerFactory.getLogger(ForegroundTest.class), 20);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(stuck::serve);
        stuck.onSignal("SIGINT");
        assertTrue(closing.await(5, TimeUnit.SECONDS));
        stuck.onSignal("SIGINT"); // the lazy detach waits for the hanging close()
        Thread.sleep(50);
        assertFalse(code.isDone());
        stuck.onSignal("SIGINT");
        assertEquals(1, code.get(5, TimeUnit.SECONDS));
    }

    @Test
    void unmountFromOutsideExitsZeroAndFreesTheDisks() throws Exception {
        CompletableFuture<Integer> code = serve();
        Thread.sleep(50);
        assertFalse(code.isDone());
        mount.unmountFromOutside();
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("outside", "close"), mount.calls);
    }

    @Test
    void unmountFromOutsideWhileBusyRetryingEndsTheRetries() throws Exception {
        mount.alwaysFailing = busy();
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGTERM");
        waitFor(() -> mount.count("close") >= 2);
        mount.unmountFromOutside(); // e.g. the user ran fusermount -uz
        assertEquals(0, code.get(5, TimeUnit.SECONDS), "the next close() succeeds once the mount is gone");
    }

    @Test
    void signalsAfterTheEndAreIgnored() throws Exception {
        CompletableFuture<Integer> code = serve();
        fg.onSignal("SIGINT");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        fg.onSignal("SIGINT");
        fg.onShutdown();
        assertTrue(fg.isDone());
        assertEquals(0, mount.count("lazy"));
    }

    @Test
    void shutdownWithoutASignalDetachesLazily() {
        fg.onShutdown();
        assertEquals(List.of("lazy"), mount.calls);
    }

    @Test
    void cliServesThroughForeground() throws Exception {
        FakeMount m = new FakeMount(Path.of("/mnt/rd"));
        CompletableFuture<SignalSink> installed = new CompletableFuture<>();
        Cli cli = new Cli(System.out, System.err).mounter(o -> m).hooks(installed::complete)
                .workingDirectory(Path.of("/")).defaultMemoryLimit(() -> 1L << 30);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cli.run("/mnt/rd"));
        SignalSink f = installed.get(5, TimeUnit.SECONDS);
        assertFalse(code.isDone());
        f.onSignal("SIGTERM");
        assertEquals(0, code.get(5, TimeUnit.SECONDS));
        assertEquals(List.of("close"), m.calls);
    }

    @Test
    void aSignalWhileMountingIsDeliveredOnceTheMountIsLive() throws Exception {
        FakeMount m = new FakeMount(Path.of("/mnt/rd"));
        CompletableFuture<SignalSink> installed = new CompletableFuture<>();
        CompletableFuture<Void> mayFinishMounting = new CompletableFuture<>();
        Cli cli = new Cli(System.out, System.err).mounter(o -> {
            mayFinishMounting.join();
            return m;
        }).hooks(installed::complete).workingDirectory(Path.of("/")).defaultMemoryLimit(() -> 1L << 30);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> cli.run("/mnt/rd"));
        installed.get(5, TimeUnit.SECONDS).onSignal("SIGTERM"); // the handlers exist before the mount does
        mayFinishMounting.complete(null);
        assertEquals(0, code.get(5, TimeUnit.SECONDS), "the early SIGTERM must unmount, not kill");
        assertEquals(List.of("close"), m.calls);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(5);
        }
    }
}

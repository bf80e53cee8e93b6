package io.ramdiskfs.cli;

import io.ramdiskfs.MountException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;

/**
 * Serves a live mount in the foreground until it is gone, and turns that into an exit code.
 *
 * <ul>
 *   <li>First signal: unmount. Done: "unmounted DIR", exit 0. Busy (a loop device, an open file):
 *       warn, keep serving, retry every second; exit 0 once an attempt succeeds.</li>
 *   <li>Second signal: detach lazily ({@code fusermount -uz}), exit 0 (1 if even that fails).</li>
 *   <li>Third signal: exit 1 at once, whatever is still in progress.</li>
 *   <li>Unmounted from outside ({@code fusermount -u DIR}): free the disks, exit 0.</li>
 *   <li>Whichever way: exit 1 instead of 0 when a persist disk could not be saved at the stop,
 *       each one named with why in the log.</li>
 * </ul>
 *
 * One unmount operation runs at a time; signal handlers only start them on their own threads.
 */
public final class Foreground implements SignalSink {
    private final Mounter.Mounted mount;
    private final Path dir;
    private final Logger log;
    private final long retryMillis;
    private final AtomicInteger signals = new AtomicInteger();
    private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    private final Object unmounting = new Object();

    public Foreground(Mounter.Mounted mount, Logger log, long retryMillis) {
        this.mount = mount;
        this.dir = mount.mountPoint();
        this.log = log;
        this.retryMillis = retryMillis;
    }

    /** Blocks until the mount is gone (or given up on); returns the exit code. */
    public int serve() {
        Thread watcher = new Thread(this::watch, "ramdiskfs-watch");
        watcher.setDaemon(true);
        watcher.start();
        try {
            return exitCode.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (ExecutionException e) {
            log.error("{}", e.getCause().toString(), e.getCause());
            return 1;
        }
    }

    /** True once the exit code is decided. */
    public boolean isDone() {
        return exitCode.isDone();
    }

    /** A signal arrived: called on the JVM's signal thread, returns at once. */
    @Override
    public void onSignal(String name) {
        int n = signals.incrementAndGet();
        if (exitCode.isDone()) {
            return;
        }
        if (n == 1) {
            log.info("{}: unmounting {}", name, dir);
            start(this::closeUntilDone, "ramdiskfs-unmount");
        } else if (n == 2) {
            log.info("{} again: detaching {} lazily", name, dir);
            start(this::detachLazily, "ramdiskfs-detach");
        } else {
            log.warn("{} a third time: exiting now", name);
            exitCode.complete(1);
        }
    }

    /** The JVM is going down some other way than our signals: leave no dead mount behind. */
    @Override
    public void onShutdown() {
        if (exitCode.isDone()) {
            return;
        }
        try {
            mount.unmountLazily();
            log.warn("exiting: detached {} lazily", dir);
        } catch (MountException | RuntimeException e) {
            log.warn("exiting: could not detach {}: {}", dir, e.getMessage());
        }
    }

    private static void start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** The mount went away; if no signal asked for it, someone ran fusermount -u. */
    private void watch() {
        try {
            mount.awaitUnmounted();
        } catch (InterruptedException e) {
            return;
        }
        if (signals.get() > 0) {
            return; // the signal's own thread decides
        }
        synchronized (unmounting) {
            try {
                mount.close(); // frees the disks; the mount itself is already gone
            } catch (MountException | RuntimeException e) {
                log.warn("{} was unmounted from outside; freeing the disks failed: {}", dir, e.getMessage());
            }
        }
        log.info("unmounted {} (from outside)", dir);
        exitCode.complete(afterSaves());
    }

    private void closeUntilDone() {
        boolean warned = false;
        while (!exitCode.isDone()) {
            synchronized (unmounting) {
                if (exitCode.isDone() || signals.get() >= 2) {
                    return;
                }
                try {
                    mount.close();
                    log.info("unmounted {}", dir);
                    exitCode.complete(afterSaves());
                    return;
                } catch (MountException | RuntimeException e) {
                    if (!warned) {
                        warned = true;
                        warnStillServing(e);
                    } else {
                        log.debug("{} still cannot be unmounted: {}", dir, e.getMessage());
                    }
                }
            }
            try {
                Thread.sleep(retryMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * 0 when the stop saved every persist disk, else 1 with a line for each one it did not: a
     * stop that lost data must not look like a clean one to systemd or a script.
     */
    private int afterSaves() {
        List<String> unsaved = mount.unsavedAtStop();
        for (String u : unsaved) {
            log.error("stopped, but {}", u);
        }
        return unsaved.isEmpty() ? 0 : Cli.MOUNT_FAILED;
    }

    private void warnStillServing(Exception e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("busy")) {
            log.warn("{} is busy (a loop device or an open file?): still serving; it will be unmounted when released; "
                    + "send the signal again to detach it lazily", dir);
        } else {
            log.warn("could not unmount {}: {}; still serving, retrying every second; send the signal again to detach it lazily",
                    dir, m);
        }
    }

    private void detachLazily() {
        synchronized (unmounting) {
            if (exitCode.isDone()) {
                return;
            }
            try {
                mount.unmountLazily();
                log.warn("detached {} lazily; whatever still used it (a loop device?) now gets I/O errors", dir);
                exitCode.complete(afterSaves());
            } catch (MountException | RuntimeException e) {
                log.error("could not detach {}: {}", dir, e.getMessage());
                exitCode.complete(1);
            }
        }
    }
}

package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.MountException;
import io.ramdiskfs.MountTable;
import io.ramdiskfs.fs.DiskDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One running libfuse loop serving a {@link DiskDirectory} at a mount point, on a fixed pool of
 * Java worker threads ({@link FuseLoop}) until the mount goes away.
 * {@link #awaitLive} returns only once the kernel lists the mount in {@code /proc/self/mountinfo}:
 * jnr-fuse's own non-blocking mount returns after a fixed wait whether or not it is live.
 */
public final class FuseSession {
    private final Path mountPoint;
    private final JnrFuseAdapter adapter;
    private final FuseLoop loop;
    private final Thread reaper;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private FuseSession(Path mountPoint, JnrFuseAdapter adapter, FuseLoop loop) {
        this.mountPoint = mountPoint;
        this.adapter = adapter;
        this.loop = loop;
        // Waits for the workers and tears libfuse down once the mount is gone.
        this.reaper = new Thread(() -> {
            try {
                loop.join();
                adapter.closeCallbacks();
                exit.complete(0);
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        }, "fuse-session " + mountPoint);
    }

    /**
     * Mounts and starts the loop; {@link #awaitLive} then waits until the mount is live. Throws
     * only when no loop was started, so the caller may free the disks at once.
     *
     * @param options libfuse arguments, e.g. {@code ["-o", "big_writes,max_write=131072"]}
     */
    public static FuseSession launch(Path mountPoint, DiskDirectory dir, List<String> options, Serving serving)
            throws MountException {
        JnrFuseAdapter adapter;
        try {
            adapter = new JnrFuseAdapter(dir, serving.xattrs(), serving.imageReads());
            FuseLoop.library();
        } catch (LinkageError | RuntimeException e) {
            throw new MountException("libfuse.so.2 could not be loaded (install the Debian packages fuse and libfuse2): "
                    + e.getMessage(), e);
        }
        FuseSession s = new FuseSession(mountPoint, adapter, FuseLoop.start(adapter.operations(), mountPoint, options,
                serving.threads(), serving.parallelWrites(), serving.maxRequestBytes(), serving.directData() ? dir : null,
                serving.passthrough() ? new Passthrough(dir) : null, adapter.rawCallbacks()::requestDone));
        s.reaper.start();
        return s;
    }

    /**
     * Waits until the kernel lists the mount. When this throws, the loop may still be running
     * (the mount came up where it was not looked for, or the wait was interrupted): the caller
     * must {@link #exitLoop}, detach the mount and {@link #awaitExit} before it frees the disks.
     */
    public void awaitLive(long timeoutMillis) throws MountException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            if (MountTable.find(mountPoint).filter(MountTable.Entry::isRamdiskfs).isPresent()) {
                return;
            }
            if (exit.isDone()) {
                throw new MountException("libfuse could not mount " + mountPoint + ": " + exitReason()
                        + " (is /dev/fuse there, and fusermount installed?)");
            }
            if (System.nanoTime() > deadline) {
                throw new MountException("the mount at " + mountPoint + " did not come up within " + timeoutMillis + " ms");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MountException("interrupted while mounting " + mountPoint, e);
            }
        }
    }

    /** Asks every worker to stop after its current request; a worker waiting for one stops once the mount goes. */
    public void exitLoop() {
        loop.exit();
    }

    private String exitReason() {
        try {
            exit.getNow(0);
            return "the FUSE loop ended at once";
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            Throwable root = c;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return c.getMessage() + (root != c ? " (" + root.getMessage() + ")" : "");
        }
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** True while the libfuse loop runs (the mount may still be live after a lazy unmount). */
    public boolean isRunning() {
        return reaper.isAlive();
    }

    /** Waits for the loop to end; true if it did within the time. */
    public boolean awaitExit(long timeoutMillis) throws InterruptedException {
        reaper.join(timeoutMillis);
        return !reaper.isAlive();
    }

    /** Waits for the loop to end. */
    public void awaitExit() throws InterruptedException {
        reaper.join();
    }

    /** Tells jnr-fuse the mount is gone, so its exit hook leaves it alone. */
    public void markUnmounted() {
        adapter.markUnmounted();
    }
}

package io.ramdiskfs.fs;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one lock of a mount's directory: every change of what the mount shows and who holds it
 * takes it, so that a snapshot of several disks, a rollback that must find no writer, or a rename
 * over an open disk each see one consistent state. Lookups and I/O do not take it.
 *
 * <p>It guards, and nothing else guards:
 * <ul>
 *   <li>{@link Namespace}: the writes of its disk map, the hidden disks, the snapshot table and the
 *       inode counter;</li>
 *   <li>{@link OpenHandles}: which handles write, the doors' holds;</li>
 *   <li>{@link DiskFile}: its handle and writer counts, whether it is unlinked, its name;</li>
 *   <li>the {@link io.ramdiskfs.disks.NamespaceEvents} queue (changes are queued under this lock
 *       and told to the watchers after it).</li>
 * </ul>
 *
 * <p>It is also where a rollback or commit waits for writers to release ({@link #awaitNoWriters}):
 * the wait gives the lock up, and every release wakes it.
 */
final class DirectoryLock {
    /**
     * How long a rollback or commit waits for a disk's writers to go before it answers EBUSY. The
     * kernel sends FUSE_RELEASE in the background, so close(2) returns before ramdiskfs hears of
     * it: without a grace a rollback right after the writer closed could find its handle still
     * counted (bench/soak.sh met that under load).
     */
    static final long RELEASE_GRACE_MILLIS = 1000;
    private volatile long releaseGraceNanos = RELEASE_GRACE_MILLIS * 1_000_000;

    /** Shortens (or lengthens) {@link #RELEASE_GRACE_MILLIS}: for tests that meet EBUSY thousands of times. */
    void releaseGrace(Duration grace) {
        this.releaseGraceNanos = grace.toNanos();
    }

    /** The deadline of a wait for writers that starts now. */
    long releaseDeadline() {
        return System.nanoTime() + releaseGraceNanos;
    }

    /**
     * Waits, until {@code deadline} ({@link System#nanoTime}), for {@code f} to have no handle
     * open for writing; true when it has none. The caller holds this lock, which waiting gives up
     * so that a release can run.
     */
    boolean awaitNoWriters(DiskFile f, long deadline) {
        while (f.writers() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** A handle or hold went: a rollback or commit may wait for it. The caller holds this lock. */
    void released() {
        notifyAll();
    }
}

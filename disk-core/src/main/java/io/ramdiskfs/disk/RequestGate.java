package io.ramdiskfs.disk;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The request boundary of one disk: every request passes through it, and a change of the disk's
 * chain (a snapshot, a rollback, a merge) closes it, waits until no request is inside, swaps, and
 * opens it again. So a request is wholly before or wholly after the change.
 *
 * <p>Why not a read-write lock: the read side of one is a shared word that every request of the
 * disk would write, a cache line bouncing between the cores that serve it. Here a request
 * increments a counter of its own stripe (by thread), padded to a cache line of its own, and reads
 * the {@code closed} flag: no line is shared between worker threads on the way in or out. The
 * closer sets the flag, then waits for every stripe to drain. Both sides use sequentially
 * consistent atomics, so either the request sees the flag or the closer sees the request (the
 * Dekker pattern).
 *
 * <p>Requests must not nest on one gate (a request waiting to enter while it is inside would never
 * let a closer finish), and a request that uses several disks enters their gates in
 * {@link LayeredDisk#id()} order, the order in which a group change closes them.
 */
public final class RequestGate {
    private static final int STRIPES = 16;
    /** Longs per stripe: 128 bytes, two cache lines, against adjacent-line prefetch. */
    private static final int PAD = 16;

    private final AtomicLongArray inside = new AtomicLongArray(STRIPES * PAD);
    private volatile boolean closed;
    private final Object monitor = new Object();

    /** Enters; returns the token to pass to {@link #exit}. Waits while the gate is closed. */
    public int enter() {
        int slot = (int) (Thread.currentThread().getId() & (STRIPES - 1)) * PAD;
        for (;;) {
            inside.getAndIncrement(slot);
            if (!closed) {
                return slot;
            }
            inside.getAndDecrement(slot);
            awaitOpen();
        }
    }

    public void exit(int token) {
        inside.getAndDecrement(token);
    }

    private void awaitOpen() {
        synchronized (monitor) {
            boolean interrupted = false;
            while (closed) {
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Closes the gate and returns once no request is inside. Only one closer at a time: callers
     * serialize changes of a disk's chain themselves.
     */
    public void close() {
        closed = true;
        for (int spins = 0; !drained(); spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private boolean drained() {
        for (int i = 0; i < STRIPES; i++) {
            if (inside.get(i * PAD) != 0) {
                return false;
            }
        }
        return true;
    }

    public void open() {
        synchronized (monitor) {
            closed = false;
            monitor.notifyAll();
        }
    }
}

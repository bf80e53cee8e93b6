package io.ramdiskfs.service;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Keeps systemd from killing a start or stop that is slow because it moves a large image, and only
 * such a one: every tick while the mount starts (images load before {@code READY=1}) or stops
 * (persist disks save after {@code STOPPING=1}), it asks for {@link #EXTENSION} more — but only if
 * image bytes moved since the last tick. A start or stop stuck on anything else runs into the
 * unit's own timeout as usual.
 */
public final class TimeoutExtender implements AutoCloseable {
    /** Longer than a tick by far: room for the fsync that follows a save's last byte. */
    static final Duration EXTENSION = Duration.ofSeconds(90);

    enum Phase { STARTING, RUNNING, STOPPING }

    private final SdNotify notify;
    private final LongSupplier moved;
    private volatile Phase phase = Phase.STARTING;
    private long last;
    private Thread ticker;

    TimeoutExtender(SdNotify notify, LongSupplier moved) {
        this.notify = notify;
        this.moved = moved;
        this.last = moved.getAsLong();
    }

    /**
     * Starts ticking every {@code tick} under systemd (without {@code $NOTIFY_SOCKET} nobody would
     * listen: no thread at all).
     */
    public static TimeoutExtender start(SdNotify notify, LongSupplier moved, Duration tick) {
        TimeoutExtender e = new TimeoutExtender(notify, moved);
        if (notify.isActive()) {
            Thread t = new Thread(() -> e.run(tick.toMillis()), "ramdiskfs-timeout-extender");
            t.setDaemon(true);
            e.ticker = t;
            t.start();
        }
        return e;
    }

    public void running() {
        phase = Phase.RUNNING;
    }

    public void stopping() {
        phase = Phase.STOPPING;
    }

    private void run(long tickMillis) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(tickMillis);
                tick();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One look: extends when starting or stopping and image bytes moved since the last look. */
    synchronized void tick() {
        long now = moved.getAsLong();
        boolean progressed = now != last;
        last = now;
        Phase p = phase;
        if (progressed && p != Phase.RUNNING) {
            notify.extendTimeout(EXTENSION, (p == Phase.STARTING ? "loading images: " : "saving images: ")
                    + (now >> 20) + " MiB moved");
        }
    }

    @Override
    public void close() {
        Thread t = ticker;
        if (t != null) {
            t.interrupt();
        }
    }
}

package io.ramdiskfs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.image.ImageFailure;
import io.ramdiskfs.disk.image.ImageWriter;
import io.ramdiskfs.disk.image.Progress;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.fs.DiskFile;
import io.ramdiskfs.disks.FsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code persist:} disks of a mount: saved every {@code --save-interval} (when given) and once
 * more when the mount stops cleanly, after the kernel has let go of it and before the disks are
 * freed, so the last save holds every write. What was written after the last complete save is
 * lost on {@code kill -9} or power loss; the image itself is always a complete save
 * ({@link io.ramdiskfs.disk.image.ImageWriter}).
 */
final class Persistence {
    private static final Logger log = LoggerFactory.getLogger(Persistence.class);

    private final DiskDirectory directory;
    private ScheduledExecutorService periodic;

    Persistence(DiskDirectory directory) {
        this.directory = directory;
    }

    /** {@code file} is the disk of persist definition {@code d}. */
    synchronized void register(DiskFile file, DiskDefinition d) {
        directory.images().persist(file, d.image());
        if (d.saveInterval() != null) {
            if (periodic == null) {
                periodic = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "ramdiskfs-save-interval");
                    t.setDaemon(true);
                    return t;
                });
            }
            long every = d.saveInterval().toMillis();
            periodic.scheduleWithFixedDelay(() -> saveOnSchedule(file, d.image()), every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * At a clean stop: no more periodic saves, wait for running ones, then save every persist disk.
     * Returns one line for each disk that could not be saved (its name, its image and why): the
     * stop then exits non-zero, so that systemd and scripts see it.
     */
    List<String> saveAllAtStop() {
        synchronized (this) {
            if (periodic != null) {
                periodic.shutdown();
            }
        }
        try {
            if (periodic != null) {
                periodic.awaitTermination(1, TimeUnit.HOURS);
            }
            directory.images().awaitIdle();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> failures = new ArrayList<>();
        for (Map.Entry<DiskFile, Path> e : directory.images().persisted().entrySet()) {
            String failure = save(e.getKey(), e.getValue(), "save at stop");
            if (failure != null) {
                failures.add(failure);
            }
        }
        return failures;
    }

    /** A periodic save: whatever happens to this one, the next one runs (an exception would cancel them all). */
    private void saveOnSchedule(DiskFile file, Path image) {
        try {
            save(file, image, "periodic save");
        } catch (Throwable t) {
            log.error("periodic save of {} failed: {}; the next one runs at its time", image, t.toString());
        }
    }

    /** Saves {@code file} to {@code image}; null when done, else one line saying which disk was not saved and why. */
    private String save(DiskFile file, Path image, String why) {
        String name = nameOf(file);
        if (name == null) {
            log.warn("{}: the persist disk for {} was deleted; {} is left as it was", why, image, image);
            return null;
        }
        long start = System.nanoTime();
        try {
            ImageWriter.Saved saved = directory.images().saveNow(file, image, name, Progress.NONE);
            if (saved.superseded()) {
                log.info("{}: {} holds a later save of {} already; left as it is", why, image, name);
            } else {
                log.info("{}: saved {} to {} ({} MiB of data in {} ms)", why, name, image, saved.dataBytes() >> 20,
                        (System.nanoTime() - start) / 1_000_000);
            }
            return null;
        } catch (FsException | DiskException | ImageFailure | RuntimeException | Error e) {
            String reason = e instanceof Error || e.getMessage() == null ? e.toString() : e.getMessage();
            log.error("{}: could not save {} to {}: {}", why, name, image, reason);
            return "disk " + name + " was not saved to " + image + ": " + reason;
        }
    }

    /** The disk's current name, or null when it is no longer in the directory. */
    private String nameOf(DiskFile file) {
        for (String n : directory.names()) {
            try {
                if (directory.lookup("/" + n) == file) {
                    return n;
                }
            } catch (FsException e) {
                // deleted meanwhile
            }
        }
        return null;
    }
}

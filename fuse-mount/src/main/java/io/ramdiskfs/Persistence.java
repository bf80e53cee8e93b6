package io.ramdiskfs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.image.ImageFailure;
import io.ramdiskfs.disk.image.Progress;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.fs.DiskFile;
import io.ramdiskfs.disks.FsException;
import java.nio.file.Path;
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
            periodic.scheduleWithFixedDelay(() -> save(file, d.image(), "periodic save"), every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** At a clean stop: no more periodic saves, wait for running ones, then save every persist disk. */
    void saveAllAtStop() {
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
        for (Map.Entry<DiskFile, Path> e : directory.images().persisted().entrySet()) {
            save(e.getKey(), e.getValue(), "save at stop");
        }
    }

    private void save(DiskFile file, Path image, String why) {
        String name = nameOf(file);
        if (name == null) {
            log.warn("{}: the persist disk for {} was deleted; {} is left as it was", why, image, image);
            return;
        }
        long start = System.nanoTime();
        try {
            long data = directory.images().saveNow(file, image, name, Progress.NONE);
            log.info("{}: saved {} to {} ({} MiB of data in {} ms)", why, name, image, data >> 20, (System.nanoTime() - start) / 1_000_000);
        } catch (FsException | DiskException | ImageFailure | RuntimeException e) {
            log.error("{}: could not save {} to {}: {}", why, name, image, e.getMessage());
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

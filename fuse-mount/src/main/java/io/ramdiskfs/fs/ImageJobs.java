package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.image.ImageDestination;
import io.ramdiskfs.disk.image.ImageHoles;
import io.ramdiskfs.disk.image.ImageFailure;
import io.ramdiskfs.disk.image.ImageWriter;
import io.ramdiskfs.disk.image.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and commits of a mount's disks (SPEC section 7), started through the mount itself:
 *
 * <ul>
 *   <li>{@code setfattr -n user.ramdiskfs.save -v IMAGE DISK} snapshots DISK (the instant the
 *       image will show) and returns; the image is written in the background from the snapshot,
 *       which is dropped when done. An empty value saves to the disk's {@code persist:} image.
 *       {@code user.ramdiskfs.save_status} tells how far the last save got: {@code ID running DONE
 *       TOTAL}, {@code ID done DONE TOTAL} or {@code ID failed REASON}. {@code ramdiskfs save}
 *       does both. Asynchronous because setxattr holds the disk's inode lock in the kernel, which
 *       would stop every writer of the disk for the length of the save.
 *   <li>{@code setfattr -n user.ramdiskfs.commit -v 1 DISK} (memdiff disks): writes base + RAM
 *       layers to a new image beside the base, renames it over the base and puts the disk on an
 *       empty RAM layer over it; returns when done. EBUSY while the disk is open for writing.
 * </ul>
 *
 * Crash guarantees are {@link ImageWriter}'s: the image (or base) is the old or the complete new
 * file. A save or commit that fails leaves it so, and the disk serving.
 */
public final class ImageJobs {
    private static final Logger log = LoggerFactory.getLogger(ImageJobs.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final DiskDirectory directory;
    private final Map<DiskFile, Path> persistImages = new ConcurrentHashMap<>();
    private final Map<DiskFile, Job> jobs = new ConcurrentHashMap<>();
    private volatile ImageHoles.Finder holes = ImageHoles.ALL_DATA;

    ImageJobs(DiskDirectory directory) {
        this.directory = directory;
    }

    /** How images' holes are found (the mount's libc binding); data everywhere until set. */
    public void holes(ImageHoles.Finder finder) {
        this.holes = finder;
    }

    /** {@code disk} is a {@code persist:} disk saved to {@code image}: a save without an image goes there. */
    public void persist(DiskFile disk, Path image) {
        persistImages.put(disk, image);
    }

    /** One save of one disk, as {@code user.ramdiskfs.save_status} reports it. */
    private static final class Job {
        final long id = IDS.incrementAndGet();
        volatile long done;
        volatile long total;
        volatile String failure;
        volatile boolean finished;
        /** IMAGE held a later instant when this save's turn came: nothing was written. */
        volatile boolean superseded;

        String status() {
            if (failure != null) {
                return id + " failed " + failure;
            }
            // "superseded" after the two numbers: a reader that knows only "done DONE TOTAL" still parses it.
            return id + (finished ? " done " : " running ") + done + " " + total + (superseded ? " superseded" : "");
        }
    }

    // ------------------------------------------------------------------ save

    /** {@code user.ramdiskfs.save}: snapshots now and saves in the background. */
    void startSave(String path, String value) throws FsException, DiskException {
        DiskFile f = diskAt(path);
        Path image = destination(f, value);
        Job job = new Job();
        Captured captured;
        synchronized (this) {
            Job running = jobs.get(f);
            if (running != null && !running.finished) {
                throw new FsException(Errno.EBUSY, "a save of " + path + " is running already (" + running.status() + ")");
            }
            captured = capture(f, path, image);
            jobs.put(f, job);
        }
        Thread t = new Thread(() -> runSave(job, captured, path), "ramdiskfs-save" + path.replace('/', '-'));
        t.setDaemon(false); // a save under way finishes even if everything else is done
        t.start();
    }

    /** A save's snapshot, numbered on its destination in the order snapshots of that image are taken. */
    private record Captured(LayeredDisk snapshot, ImageDestination destination, long instant, int mode) {
        ImageWriter.Saved save(Progress progress) throws ImageFailure {
            return ImageWriter.save(snapshot, destination, instant, mode, progress);
        }
    }

    private Captured capture(DiskFile f, String path, Path image) throws FsException, DiskException {
        ImageDestination destination = ImageDestination.of(image);
        try (ImageDestination.Capture c = destination.capture()) {
            LayeredDisk snapshot = snapshotOf(f, path);
            return new Captured(snapshot, destination, c.number(), f.mode());
        }
    }

    private void runSave(Job job, Captured captured, String path) {
        long start = System.nanoTime();
        Path image = captured.destination().image();
        try {
            ImageWriter.Saved saved = captured.save((done, total) -> {
                job.done = done;
                job.total = total;
            });
            job.superseded = saved.superseded();
            if (saved.superseded()) {
                log.info("save of {} to {}: a later save is there already; left as it is", path, image);
            } else {
                log.info("saved {} to {} ({} MiB of data in {} ms)", path, image, job.done >> 20, (System.nanoTime() - start) / 1_000_000);
            }
        } catch (ImageFailure | RuntimeException | Error e) {
            // An Error too: a save it stopped did not happen, and must never read as "done".
            job.failure = e instanceof Error || e.getMessage() == null ? e.toString() : e.getMessage();
            log.error("save of {} to {} failed: {}", path, image, job.failure);
        } finally {
            captured.snapshot().close();
            synchronized (this) {
                job.finished = true;
                notifyAll();
            }
        }
    }

    /** {@code user.ramdiskfs.save_status} of the disk at {@code path}; ENODATA when it was never saved this way. */
    String status(String path) throws FsException {
        Job j = jobs.get(directory.lookup(path));
        if (j == null) {
            throw new FsException(Errno.ENODATA, "no save of " + path + " was started");
        }
        return j.status();
    }

    /**
     * Saves the disk now, in the caller's thread (the embedded API, persist disks at a stop and
     * every --save-interval). Returns the data bytes written.
     */
    public ImageWriter.Saved saveNow(DiskFile f, Path image, String name, Progress progress)
            throws FsException, DiskException, ImageFailure {
        Captured captured = capture(f, name, image);
        try {
            return captured.save(progress);
        } finally {
            captured.snapshot().close();
        }
    }

    /** The persist image of {@code f}, or null. */
    public Path persistImage(DiskFile f) {
        return persistImages.get(f);
    }

    /** Disks with a persist image, and where. */
    public Map<DiskFile, Path> persisted() {
        return Map.copyOf(persistImages);
    }

    /** Waits until no background save is running (before a stop saves persist disks). */
    public synchronized void awaitIdle() throws InterruptedException {
        while (jobs.values().stream().anyMatch(j -> !j.finished)) {
            wait(1000);
        }
    }

    private LayeredDisk snapshotOf(DiskFile f, String path) throws FsException, DiskException {
        try {
            return f.disk().snapshot();
        } catch (DiskException e) {
            if (e.error() == DiskError.UNSUPPORTED) {
                throw new FsException(Errno.EOPNOTSUPP, path + " cannot be saved at one instant: " + e.getMessage()
                        + " (passthrough, cache: and writethrough: disks take no snapshots; copy the image or the disk instead)");
            }
            throw e;
        }
    }

    private Path destination(DiskFile f, String value) throws FsException {
        if (value == null || value.isEmpty()) {
            Path p = persistImages.get(f);
            if (p == null) {
                throw new FsException(Errno.EINVAL, "no IMAGE given, and the disk is not a persist: disk");
            }
            return p;
        }
        Path image;
        try {
            image = Path.of(value);
        } catch (InvalidPathException e) {
            throw new FsException(Errno.EINVAL, "not a path: " + value.replace("\0", "\\0") + " (" + e.getReason() + ")");
        }
        if (!image.isAbsolute()) {
            throw new FsException(Errno.EINVAL, "the image path must be absolute: " + value);
        }
        Path dir = image.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new FsException(Errno.ENOENT, "directory " + dir + " does not exist");
        }
        if (Files.isDirectory(image)) {
            throw new FsException(Errno.EISDIR, image + " is a directory");
        }
        if (FileLayer.isBlockDevice(image)) {
            throw new FsException(Errno.EINVAL, image + " is a block device; a save writes a new file and renames it over IMAGE");
        }
        if (Files.exists(image) && !Files.isRegularFile(image)) {
            // A character device, FIFO or socket: renaming a file over it would replace it (/dev/null!).
            throw new FsException(Errno.EINVAL, image + " is not a regular file; a save writes a new file and renames it over IMAGE");
        }
        return image;
    }

    private DiskFile diskAt(String path) throws FsException {
        FsPath p = FsPath.parse(path);
        if (p.kind() != FsPath.Kind.DISK) {
            throw new FsException(Errno.EINVAL, "only a disk can be saved or committed, not " + path);
        }
        return directory.lookup(path);
    }

    // ------------------------------------------------------------------ commit

    /**
     * {@code user.ramdiskfs.commit}: a memdiff disk's base + RAM layers become its new base.
     *
     * <p><b>Crash guarantee.</b> {@code kill -9} at any moment leaves the base file as the old or
     * the complete new image (the new one is written beside it and renamed over it; the old one is
     * never written). What the RAM layers held is lost with the process either way, as always.
     */
    public void commit(String path) throws FsException, DiskException {
        DiskFile f = diskAt(path);
        Captured captured;
        FileLayer base;
        synchronized (directory.lock()) {
            if (!directory.lock().awaitNoWriters(f, directory.lock().releaseDeadline())) {
                throw new FsException(Errno.EBUSY, "disk " + path + " is open for writing (" + f.writers()
                        + " handles: a VM or a loop device?); stop the writer first");
            }
            if (f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, "disk " + path + " is read-only");
            }
            List<LayerIo> layers = f.disk().layers();
            if (layers.size() < 2 || !(layers.get(layers.size() - 1) instanceof FileLayer image) || !image.isReadOnly()) {
                throw new FsException(Errno.EOPNOTSUPP, "only a memdiff: disk can be committed; " + path + " is "
                        + MountStatusView.describeLayers(f.disk()));
            }
            if (FileLayer.isBlockDevice(image.path())) {
                throw new FsException(Errno.EOPNOTSUPP, "the base " + image.path() + " is a block device: a commit writes a new"
                        + " image beside the base and renames it over it, which a device cannot be");
            }
            if (!image.pathIsCurrent()) {
                throw new FsException(Errno.EBUSY, "commit of " + path + ": its base " + image.path() + " was replaced by an"
                        + " earlier commit; this disk still reads the old base through its open descriptor. Save it"
                        + " (ramdiskfs save) instead");
            }
            String other = otherDiskOn(f, image);
            if (other != null) {
                throw new FsException(Errno.EBUSY, "commit of " + path + ": disk " + other + " reads the same base "
                        + image.path() + "; a commit would change that disk under it at its next start. Delete or save "
                        + other + " first");
            }
            base = image;
            captured = capture(f, path, base.path());
        }
        LayeredDisk snapshot = captured.snapshot();
        long start = System.nanoTime();
        // The base is an image like a saved one: one writer at a time, never an older instant over a newer one.
        try (ImageDestination.Turn turn = captured.destination().turn(captured.instant(), () -> {})) {
            if (turn.superseded()) {
                throw new FsException(Errno.EBUSY, "commit of " + path + ": " + base.path() + " was saved over meanwhile;"
                        + " it is left as that save wrote it");
            }
            Path tmp = ImageWriter.writeTemp(snapshot, base.path(), Progress.NONE);
            int ss = f.disk().sectorSize();
            boolean done;
            try {
                done = f.disk().replaceBase(snapshot, () -> {
                    ImageWriter.publish(tmp, base.path());
                    base.markReplaced();
                    try {
                        return FileLayer.open(base.path(), ss, false, holes);
                    } catch (IllegalArgumentException e) {
                        throw new ReopenFailed(e.getMessage(), e);
                    }
                });
            } catch (ReopenFailed e) {
                // Renamed already: the path holds the new image, which reads as the disk does.
                log.error("commit of {}: {} holds the committed image, but reopening it failed: {}", path, base.path(),
                        e.getMessage());
                throw new FsException(Errno.EIO, "commit of " + path + ": " + base.path() + " now holds the committed image,"
                        + " but reopening it failed (" + e.getMessage() + "); the disk goes on reading the old base and"
                        + " its RAM layers, which read the same, and a restart reads the new " + base.path());
            } catch (IOException e) {
                ImageWriter.discard(tmp);
                throw e;
            }
            if (!done) {
                ImageWriter.discard(tmp);
                throw new FsException(Errno.EBUSY, "disk " + path + " changed during the commit; " + base.path()
                        + " is unchanged; stop what writes to it and commit again");
            }
            turn.published();
            log.info("committed {} into {} in {} ms", path, base.path(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            log.error("commit of {} failed: {}", path, e.getMessage());
            throw new FsException(errnoOf(e), "commit of " + path + " failed: " + e.getMessage());
        } finally {
            snapshot.close();
        }
    }

    /**
     * Another disk of the mount over the same base file (a clone shares the layer; a second
     * {@code -d memdiff:} over the same image opens it again), or null. Snapshots of the disk
     * itself do not count: they keep the old base's descriptor and end with the process.
     * Call holding the {@link DirectoryLock}.
     */
    private String otherDiskOn(DiskFile f, FileLayer base) {
        for (var served : directory.disks()) {
            if (!(served instanceof DiskFile g) || g == f) {
                continue;
            }
            for (LayerIo layer : g.disk().layers()) {
                if (layer == base || (layer instanceof FileLayer fl && fl.pathIsCurrent() && sameFile(fl.path(), base.path()))) {
                    return g.name();
                }
            }
        }
        return null;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return a.equals(b) || Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.equals(b);
        }
    }

    /** The new base was renamed into place but could not be opened: the commit is half done, say so. */
    private static final class ReopenFailed extends IOException {
        private static final long serialVersionUID = 1L;

        ReopenFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static Errno errnoOf(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("no space left") || m.contains("No space left") ? Errno.ENOSPC : Errno.EIO;
    }
}

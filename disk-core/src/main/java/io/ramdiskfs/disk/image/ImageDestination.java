package io.ramdiskfs.disk.image;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One image file as the target of this process's saves and commits. Two rules:
 *
 * <ul>
 *   <li><b>One writer at a time.</b> A save writes its temporary file and renames it over IMAGE
 *       while it holds the destination; another save of the same IMAGE (an interval save, an
 *       explicit {@code ramdiskfs save}, the save at a stop, a commit) waits for it.
 *   <li><b>Never an older instant over a newer one.</b> Every save is numbered when its snapshot is
 *       taken ({@link #capture}: numbers follow the order of the snapshots). A save whose turn
 *       comes after a save of a later instant has been published is dropped
 *       ({@link Turn#superseded()}): IMAGE keeps the newer instant.
 * </ul>
 *
 * Without this, an interval save of instant S1 that finished after an explicit save of S2 renamed
 * S1 over S2, and a restart loaded S1: the writes the user had explicitly saved were gone.
 * Other processes are not covered: two mounts in two processes saving to one IMAGE still race.
 */
public final class ImageDestination {
    private static final Map<Path, ImageDestination> ALL = new ConcurrentHashMap<>();

    private final Path image;
    /** Held while a snapshot is taken and numbered, so that numbers follow snapshots. */
    private final ReentrantLock capturing = new ReentrantLock();
    /** Held by the one save writing IMAGE. */
    private final ReentrantLock writing = new ReentrantLock();
    /** The last number given (guarded by {@link #capturing}). */
    private long numbered;
    /** The number of the instant IMAGE holds, 0 for the image as this process found it (guarded by {@link #writing}). */
    private long held;

    private ImageDestination(Path image) {
        this.image = image;
    }

    /** The destination {@code image} (the same object for every spelling of the same path). */
    public static ImageDestination of(Path image) {
        return ALL.computeIfAbsent(image.toAbsolutePath().normalize(), ImageDestination::new);
    }

    public Path image() {
        return image;
    }

    /**
     * Starts numbering a save: take its snapshot inside the try block, then {@link Capture#number()}.
     *
     * <pre>{@code
     * try (ImageDestination.Capture c = destination.capture()) {
     *     snapshot = disk.snapshot();
     *     instant = c.number();
     * }
     * }</pre>
     */
    public Capture capture() {
        capturing.lock();
        return new Capture();
    }

    /** While open, no other save of this image takes its snapshot. */
    public final class Capture implements AutoCloseable {
        private long number;

        private Capture() {}

        /** The number of the snapshot just taken: greater than every one taken before it. */
        public long number() {
            if (number == 0) {
                number = ++numbered;
            }
            return number;
        }

        @Override
        public void close() {
            capturing.unlock();
        }
    }

    /**
     * Waits until no other save writes IMAGE, then holds it for the save of instant {@code number}.
     * {@code waiting} runs first when another save holds it (for a test that orders saves).
     */
    public Turn turn(long number, Runnable waiting) {
        if (!writing.tryLock()) {
            waiting.run();
            writing.lock();
        }
        return new Turn(number);
    }

    /** The one save writing IMAGE; {@link #close} lets the next one in. */
    public final class Turn implements AutoCloseable {
        private final long number;

        private Turn(long number) {
            this.number = number;
        }

        /** IMAGE holds a later instant already, published by another save: this one must not replace it. */
        public boolean superseded() {
            return held > number;
        }

        /** The number of the instant IMAGE holds. */
        public long held() {
            return held;
        }

        /** IMAGE now holds this save's instant. */
        public void published() {
            held = number;
        }

        @Override
        public void close() {
            writing.unlock();
        }
    }
}

package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.CliProcess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * A seeded {@code kill -9} of a ramdiskfs process while it writes an image. A save of tens of
 * MiB is over in tens of milliseconds, so a delay in wall time mostly misses it; the schedule
 * aims at the save's progress instead, which it watches from outside as a user could: the
 * temporary file beside IMAGE ({@code .IMAGE.ramdiskfs-tmp-PID-N}) grows as the data is written
 * (random content has no holes to skip). Most shots aim at a fraction of the data written; the
 * rest at a few milliseconds after all of it is (the fsync and the rename), or after the rename
 * (the new image must then be whole, and the restart load it).
 */
final class KillSchedule {
    private static final long POLL_NANOS = 200_000;
    private static final long GIVE_UP_NANOS = 20_000_000_000L;

    private KillSchedule() {}

    /** Where a shot was aimed and what the process was doing when it was fired. */
    record Shot(String aim, long tempBytes, boolean tempSeen, boolean renamedBefore, boolean exitedByItself) {
        /** Where the kill landed, for the trial's line. */
        String landing(long fullBytes) {
            if (exitedByItself) {
                return "after the process finished by itself";
            }
            if (renamedBefore) {
                return "after the rename";
            }
            if (!tempSeen) {
                return "before the temporary file appeared";
            }
            return tempBytes < fullBytes ? "writing the temporary file (" + (tempBytes * 100 / fullBytes) + "%)"
                    : "temporary file written, fsync or rename under way";
        }

        /** The kill landed while the temporary file was being written. */
        boolean midWrite(long fullBytes) {
            return !exitedByItself && !renamedBefore && tempSeen && tempBytes < fullBytes;
        }
    }

    /**
     * Waits for the aimed moment of the save to {@code image} by {@code daemon} and kills it there
     * (or records that it finished first). {@code fullBytes}: the size the temporary file reaches.
     */
    static Shot fire(CliProcess daemon, Path image, long fullBytes, Random random) {
        int pick = random.nextInt(20);
        boolean afterRename = pick < 3;
        boolean afterData = pick >= 3 && pick < 7;
        // Below 90 %: the poll sees the file every 0.2 ms or so, and the last tenth of a fast save
        // is usually written between two looks, so a later aim lands after the data.
        double fraction = 0.9 * random.nextDouble();
        long extraNanos = random.nextInt(20_000_000);
        String aim = afterRename ? String.format("%.1f ms after the rename", extraNanos / 1e6)
                : afterData ? String.format("%.1f ms after the data is written", extraNanos / 1e6)
                : String.format("at %.0f%% of the data", fraction * 100);
        Object key = fileKey(image);
        String prefix = "." + image.getFileName() + ".ramdiskfs-tmp-" + daemon.pid() + "-";
        long start = System.nanoTime();
        long fullSince = -1;
        boolean seen = false;
        while (true) {
            if (!daemon.isAlive()) {
                return new Shot(aim, 0, seen, false, true);
            }
            if (!Objects.equals(key, fileKey(image))) {
                if (afterRename) {
                    LockSupport.parkNanos(extraNanos);
                    if (!daemon.isAlive()) {
                        return new Shot(aim, fullBytes, seen, true, true);
                    }
                }
                daemon.kill9Now();
                return new Shot(aim, fullBytes, seen, true, false);
            }
            long size = afterRename ? -1 : largestTemp(image.getParent(), prefix);
            if (size >= 0) {
                seen = true;
                boolean due = afterData ? size >= fullBytes && fullSince >= 0 && System.nanoTime() - fullSince >= extraNanos
                        : size >= fraction * fullBytes;
                if (afterData && size >= fullBytes && fullSince < 0) {
                    fullSince = System.nanoTime();
                }
                if (due) {
                    daemon.kill9Now();
                    return new Shot(aim, size, true, false, false);
                }
            }
            if (System.nanoTime() - start > GIVE_UP_NANOS) {
                daemon.kill9Now();
                return new Shot(aim + " (no save seen in 20 s)", 0, seen, false, false);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** The temporary files beside {@code image} of any process. */
    static java.util.List<Path> temps(Path image) {
        String prefix = "." + image.getFileName() + ".ramdiskfs-tmp-";
        try (DirectoryStream<Path> s = Files.newDirectoryStream(image.getParent(), p -> p.getFileName().toString().startsWith(prefix))) {
            java.util.List<Path> out = new java.util.ArrayList<>();
            s.forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long largestTemp(Path dir, String prefix) {
        long best = -1;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : s) {
                try {
                    best = Math.max(best, Files.size(p));
                } catch (NoSuchFileException e) {
                    // renamed or deleted meanwhile
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return best;
    }

    private static Object fileKey(Path image) {
        try {
            return Files.readAttributes(image, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}

package io.ramdiskfs.disk.image;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.NativeMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a disk's content to a sparse raw image so that the image is always either the old file or
 * the complete new one: the data goes to a temporary file beside IMAGE
 * ({@code .IMAGE.ramdiskfs-tmp-PID-N}, same directory, so the rename cannot cross file systems),
 * holes are skipped (SEEK_DATA / SEEK_HOLE on the source, and 64 KiB blocks of zeros), the file is
 * sized with {@code ftruncate}, fsynced, renamed over IMAGE, and the directory fsynced. The
 * temporary file has the image's final mode (the old image's, else the disk's) before its first
 * byte. Saves of one IMAGE take turns, and an older instant never replaces a newer one
 * ({@link ImageDestination}).
 *
 * <p><b>Crash guarantee.</b> {@code kill -9} (or power loss) at any moment leaves IMAGE as it was
 * or as the complete new image, never torn, never shadowed: the temporary file has another name.
 * At worst a temporary file is left behind; the next save to the same IMAGE, and the next start
 * of a mount whose disk saves or commits to IMAGE, delete those whose process is gone. A PID is
 * reused (a container's or a service's ramdiskfs often gets the PID of the run that was killed), so
 * a temporary file also counts as stale when the process that now has its PID started after the
 * file was last written, or when that process is this one and the file is not a save it runs.
 *
 * <p>The source should not change while it is read: pass a snapshot ({@link LayeredDisk#snapshot}),
 * which fixes the instant the image shows while the disk goes on serving writes.
 */
public final class ImageWriter {
    private static final Logger log = LoggerFactory.getLogger(ImageWriter.class);
    static final String TEMP_MARK = ".ramdiskfs-tmp-";
    private static final int PIECE = 1 << 20;
    private static final AtomicLong SEQUENCE = new AtomicLong();
    /** The temporary files this process is writing now: the only ones with its PID that are not stale. */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    private ImageWriter() {}

    /** The mode of a new image saved by {@link #save(LayeredDisk, Path, Progress)}, which knows no disk. */
    public static final int DEFAULT_MODE = 0644;

    /** What a save did: {@code dataBytes} written, or nothing because IMAGE holds a later instant already. */
    public record Saved(long dataBytes, boolean superseded) {}

    /** Where a save stops for a test that orders saves or looks at the temporary file ({@link #hook}). */
    public enum Stage {
        /** The save has its snapshot and is about to wait for its turn at IMAGE. */
        STARTING,
        /** Another save writes IMAGE: this one waits for it. */
        WAITING,
        /** The temporary file exists, with its final mode, and holds no data yet. */
        CREATED,
        /** The temporary file is complete and fsynced; the rename over IMAGE comes next. */
        WRITTEN
    }

    /** Called at every {@link Stage} of every save: a few times per save, never per piece of data. */
    @FunctionalInterface
    public interface Hook {
        void at(Stage stage, Path tmp, Path image);
    }

    private static final Hook NO_HOOK = (stage, tmp, image) -> {};
    private static volatile Hook hook = NO_HOOK;

    /** For tests only: {@code h} runs at every stage of every save of this process (null: none). */
    public static void hook(Hook h) {
        hook = h == null ? NO_HOOK : h;
    }

    /** Saves {@code source}, a snapshot taken just before this call, to {@code image}; returns the bytes of data written. */
    public static long save(LayeredDisk source, Path image, Progress progress) throws ImageFailure {
        ImageDestination destination = ImageDestination.of(image);
        long instant;
        try (ImageDestination.Capture c = destination.capture()) {
            instant = c.number();
        }
        return save(source, destination, instant, DEFAULT_MODE, progress).dataBytes();
    }

    /**
     * Saves {@code source}, the snapshot numbered {@code instant} on {@code destination}
     * ({@link ImageDestination#capture}), once no other save writes the image, unless a save of a
     * later instant was published there meanwhile (then nothing is written: {@link Saved#superseded}).
     * A new image gets {@code mode} (the disk's); one that exists keeps its own. The temporary file
     * has that mode from its first byte on.
     */
    public static Saved save(LayeredDisk source, ImageDestination destination, long instant, int mode, Progress progress)
            throws ImageFailure {
        Path image = destination.image();
        hook.at(Stage.STARTING, null, image);
        try (ImageDestination.Turn turn = destination.turn(instant, () -> hook.at(Stage.WAITING, null, image))) {
            if (turn.superseded()) {
                log.info("{} holds a later instant (save {}) than this save's ({}): left as it is", image, turn.held(), instant);
                return new Saved(0, true);
            }
            Path tmp = writeTemp(source, image, mode, progress);
            publish(tmp, image);
            turn.published();
            return new Saved(dataBytes(source), false);
        }
    }

    /** {@link #writeTemp(LayeredDisk, Path, int, Progress)} for an image that exists or gets {@link #DEFAULT_MODE}. */
    public static Path writeTemp(LayeredDisk source, Path image, Progress progress) throws ImageFailure {
        return writeTemp(source, image, DEFAULT_MODE, progress);
    }

    /**
     * Writes {@code source} into a new temporary file beside {@code image} and fsyncs it; IMAGE is
     * not touched. The caller {@link #publish}es or {@link #discard}s it. The file has the mode of
     * IMAGE when it exists, else {@code mode}, from before its first byte: a reader the image
     * keeps out never sees its data in the temporary file either.
     */
    public static Path writeTemp(LayeredDisk source, Path image, int mode, Progress progress) throws ImageFailure {
        image = image.toAbsolutePath().normalize();
        checkDestination(image);
        removeStaleTemps(image);
        Path tmp;
        try {
            tmp = createNew(image, finalMode(image, mode));
        } catch (IOException e) {
            throw new ImageFailure(ImageFailure.reason(e) + " creating a temporary file beside " + image + " ("
                    + image.getFileName() + " is unchanged)", e);
        }
        long total = dataBytes(source);
        long done = 0;
        long pos = 0;
        ByteBuffer buffer = null;
        try (RandomAccessFile file = new RandomAccessFile(tmp.toFile(), "rw")) {
            hook.at(Stage.CREATED, tmp, image);
            // Inside the try: "Direct buffer memory" is an Error, and a save it stops is a failed
            // save whose temporary file goes, not a "done" one.
            buffer = ByteBuffer.allocateDirect(PIECE);
            FileChannel out = file.getChannel();
            int ss = source.sectorSize();
            progress.update(0, total);
            long data;
            while ((data = source.seekData(pos)) >= 0) {
                long hole = source.seekHole(data);
                for (long at = data; at < hole; ) {
                    int n = (int) Math.min(PIECE, hole - at);
                    buffer.clear().limit(n);
                    source.read(buffer, at / ss);
                    long base = at;
                    ByteBuffer b = buffer;
                    SparseRuns.forEach(buffer, n, (from, to) -> writeFully(out, b.slice(from, to - from), base + from));
                    at += n;
                    done += n;
                    ImageTraffic.moved(n);
                    progress.update(done, total);
                }
                pos = hole;
            }
            file.setLength(source.sizeBytes()); // ftruncate: the tail is a hole, and so is any hole skipped above
            out.force(true);
        } catch (IOException | DiskException | RuntimeException | Error e) {
            discard(tmp);
            throw new ImageFailure(reasonWriting(e, tmp, image), e);
        } finally {
            if (buffer != null) {
                NativeMemory.release(buffer);
            }
        }
        hook.at(Stage.WRITTEN, tmp, image);
        return tmp;
    }

    /** Renames {@code tmp} over {@code image} and fsyncs the directory: the new image is in place and durable. */
    public static void publish(Path tmp, Path image) throws ImageFailure {
        image = image.toAbsolutePath().normalize();
        try {
            Files.move(tmp, image, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            IN_PROGRESS.remove(tmp);
        } catch (IOException | RuntimeException e) {
            discard(tmp);
            throw new ImageFailure("cannot rename " + tmp + " over " + image + ": " + ImageFailure.reason(e)
                    + " (" + image.getFileName() + " is unchanged)", e);
        }
        syncDirectory(image.getParent());
    }

    /** Deletes a temporary file that will not be published. */
    public static void discard(Path tmp) {
        IN_PROGRESS.remove(tmp);
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            log.warn("could not delete the temporary file {}: {}", tmp, e.toString());
        }
    }

    /** Makes a rename in {@code dir} durable. A failure is logged: the rename itself is done. */
    public static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.warn("could not fsync directory {}: {}", dir, e.toString());
        }
    }

    /** Bytes of data (not holes) the disk shows now. */
    static long dataBytes(LayeredDisk source) {
        long total = 0;
        long pos = 0;
        long data;
        while ((data = source.seekData(pos)) >= 0) {
            long hole = source.seekHole(data);
            total += hole - data;
            pos = hole;
        }
        return total;
    }

    private static void checkDestination(Path image) throws ImageFailure {
        Path dir = image.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ImageFailure("cannot save to " + image + ": directory " + dir + " does not exist", null);
        }
        if (Files.isDirectory(image)) {
            throw new ImageFailure("cannot save to " + image + ": it is a directory", null);
        }
        if (FileLayer.isBlockDevice(image)) {
            throw new ImageFailure("cannot save to " + image + ": it is a block device, and a save writes a new file and"
                    + " renames it over IMAGE (copy a saved file onto the device with dd instead)", null);
        }
    }

    /** The mode an image saved to {@code image} ends with: the old image's when there is one, else {@code mode}. */
    static int finalMode(Path image, int mode) {
        try {
            if (Files.isRegularFile(image)) {
                return modeOf(Files.getPosixFilePermissions(image));
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("cannot read the permissions of {}: {}", image, e.toString());
        }
        return mode & 0777;
    }

    /**
     * Creates a new temporary file beside {@code image} with {@code mode} from its first byte:
     * created with it (which the umask may narrow, never widen), then set exactly, before a byte
     * of data is written. A name that exists already (left by a run that had this PID and could
     * not be deleted) is skipped, never reused.
     */
    private static Path createNew(Path image, int mode) throws IOException {
        Set<PosixFilePermission> perms = permissions(mode);
        Path tmp;
        while (true) {
            tmp = image.resolveSibling("." + image.getFileName() + TEMP_MARK + ProcessHandle.current().pid() + "-"
                    + SEQUENCE.incrementAndGet());
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(perms));
                IN_PROGRESS.add(tmp);
                break;
            } catch (FileAlreadyExistsException e) {
                log.debug("{} exists already; trying the next name", tmp);
            }
        }
        try {
            // Without following a link: fchmod of the file itself, not of what a name points to.
            Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(perms);
        } catch (IOException | RuntimeException e) {
            discard(tmp);
            throw e;
        }
        return tmp;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE: 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                perms.add(bits[i]);
            }
        }
        return perms;
    }

    static int modeOf(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 0400 >> p.ordinal();
        }
        return mode;
    }

    private static void writeFully(FileChannel out, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += out.write(src, at);
        }
    }

    private static String reasonWriting(Throwable e, Path tmp, Path image) {
        String why = e instanceof Error ? e.getClass().getSimpleName() + ": " + ImageFailure.reason(e) : ImageFailure.reason(e);
        if (why.contains("No space left")) {
            why = "no space left on device";
        }
        return why + " writing " + tmp + " (" + image.getFileName() + " is unchanged)";
    }

    /**
     * Deletes temporary files of earlier saves to {@code image} whose process is gone (killed
     * mid-save). Those of a live process (a save in progress) are left alone; see the class
     * comment for a PID that was reused. Called before every save and, for the images of a mount's
     * disks, at its start.
     */
    public static void removeStaleTemps(Path image) {
        image = image.toAbsolutePath().normalize();
        Path dir = image.getParent();
        if (dir == null) {
            return;
        }
        String prefix = "." + image.getFileName() + TEMP_MARK;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : s) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue; // not ours
                }
                if (isStale(p, pid)) {
                    log.info("deleting {}, left by a save that did not finish", p);
                    discard(p);
                }
            }
        } catch (IOException e) {
            log.debug("cannot look for stale temporary files of {}: {}", image, e.toString());
        }
    }

    /** No live save writes {@code tmp}, named for process {@code pid}. */
    private static boolean isStale(Path tmp, long pid) {
        if (pid == ProcessHandle.current().pid()) {
            return !IN_PROGRESS.contains(tmp);
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            return true;
        }
        // The PID is taken: by the process that writes the file, or by one that started after the
        // file's last write, which cannot have written it. Unknown start time: assume it is live.
        Optional<Instant> started = process.get().info().startInstant();
        try {
            return started.isPresent() && started.get().isAfter(Files.getLastModifiedTime(tmp).toInstant().plusSeconds(1));
        } catch (IOException e) {
            return false; // gone meanwhile
        }
    }
}

package io.ramdiskfs.cli;

import io.ramdiskfs.fs.ControlAttributes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ramdiskfs save MOUNT/DISK [IMAGE]} and {@code ramdiskfs commit MOUNT/DISK}, through the
 * mount itself (the {@code user.ramdiskfs.save} and {@code user.ramdiskfs.commit} attributes):
 * the daemon holds the data, so it writes the image, and no second channel to it is needed.
 *
 * <p>A save is started by the attribute (which fixes the instant the image shows) and runs in
 * the daemon; this command follows {@code user.ramdiskfs.save_status} until it is done: one
 * updating line on a terminal, a line every few seconds otherwise. Interrupting the command does
 * not stop the save, which completes (or fails, leaving IMAGE as it was) in the daemon.
 */
public final class ImageCommand {
    private static final List<String> COMMANDS = List.of("save", "commit");
    /** The status is polled every 2 ms at first, then less often up to every 100 ms: a small save ends soon. */
    private static final long FIRST_POLL_MILLIS = 2;
    private static final long POLL_MILLIS = 100;
    private static final long LOG_EVERY_MILLIS = 5000;

    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    public ImageCommand(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    public static boolean handles(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    /** 0 done, 1 refused or failed (the reason printed), 2 usage. */
    public int run(String[] args) {
        String command = args[0];
        try {
            if (command.equals("save")) {
                if (args.length < 2 || args.length > 3) {
                    throw new UsageException("usage: ramdiskfs save MOUNT/DISK [IMAGE]   (no IMAGE: a persist: disk's own image)");
                }
                return save(Path.of(args[1]), args.length == 3 ? Path.of(args[2]).toAbsolutePath().normalize() : null);
            }
            if (args.length != 2) {
                throw new UsageException("usage: ramdiskfs commit MOUNT/DISK");
            }
            Path disk = Path.of(args[1]);
            long start = System.nanoTime();
            MountAttributes.write(disk, ControlAttributes.COMMIT, "1");
            out.println("committed " + disk + " into its base image in " + millis(start) + " ms; it is now an empty RAM layer over it");
            return 0;
        } catch (UsageException e) {
            err.println("ramdiskfs: " + e.getMessage());
            return Cli.USAGE;
        } catch (IOException e) {
            err.println("ramdiskfs " + command + ": " + reason(e) + hint(command, e));
            return Cli.MOUNT_FAILED;
        }
    }

    /** What the errno the mount answered with means for this command (the daemon's log has the details). */
    private static String hint(String command, IOException e) {
        String m = String.valueOf(e instanceof FileSystemException f ? f.getReason() : e.getMessage());
        boolean save = command.equals("save");
        if (m.contains("Invalid argument")) {
            return save ? " (no IMAGE was given and the disk is not a persist: disk, or IMAGE is a block device)" : "";
        }
        if (m.contains("No such file")) {
            return save ? " (the directory of IMAGE does not exist)" : "";
        }
        if (m.contains("not supported")) {
            return save ? " (passthrough, cache: and writethrough: disks take no snapshot, so they cannot be saved at one instant)"
                    : " (only a memdiff: disk over an image file can be committed)";
        }
        if (m.contains("busy")) {
            return save ? " (a save of this disk is running)"
                    : " (the disk is open for writing, or was written during the commit: stop the writer first)";
        }
        if (m.contains("No space")) {
            return " (the image's file system is full; the old image is unchanged)";
        }
        return "";
    }

    private int save(Path disk, Path image) throws IOException, UsageException {
        if (!Files.isRegularFile(disk)) {
            throw new UsageException("save: " + disk + " is not a disk of a ramdiskfs mount");
        }
        long start = System.nanoTime();
        MountAttributes.write(disk, ControlAttributes.SAVE, image == null ? "" : image.toString());
        String shown = image == null ? "its persist image" : image.toString();
        String first = status(disk);
        String id = first.split(" ", 2)[0];
        long lastLine = 0;
        long pause = FIRST_POLL_MILLIS;
        while (true) {
            String s = status(disk);
            String[] f = s.split(" ", 3);
            if (!f[0].equals(id)) {
                err.println("ramdiskfs save: another save of " + disk + " started meanwhile; status: " + s);
                return Cli.MOUNT_FAILED;
            }
            if (f[1].equals("failed")) {
                if (terminal) {
                    out.println();
                }
                err.println("ramdiskfs save: " + f[2]);
                return Cli.MOUNT_FAILED;
            }
            String[] n = f[2].split(" ");
            long done = Long.parseLong(n[0]);
            long total = Long.parseLong(n[1]);
            String line = String.format(Locale.ROOT, "saving %s to %s: %d%% (%d of %d MiB of data)", disk, shown,
                    total == 0 ? 100 : done * 100 / total, done >> 20, total >> 20);
            if (f[1].equals("done") && f[2].endsWith(" superseded")) {
                out.println("saved " + disk + ": " + shown + " already holds a later save of it (one that started after this"
                        + " one and finished first), which is left in place");
                return 0;
            }
            if (f[1].equals("done")) {
                if (terminal) {
                    out.print("\r" + line + "\n");
                }
                out.println("saved " + disk + " to " + shown + ": " + (total >> 20) + " MiB of data in " + millis(start) + " ms");
                return 0;
            }
            long now = System.nanoTime() / 1_000_000;
            if (total == 0) {
                // still counting the data
            } else if (terminal) {
                out.print("\r" + line);
                out.flush();
            } else if (now - lastLine >= LOG_EVERY_MILLIS) {
                lastLine = now;
                out.println(line);
            }
            try {
                Thread.sleep(pause);
                pause = Math.min(POLL_MILLIS, pause * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Cli.MOUNT_FAILED;
            }
        }
    }

    private static long millis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static String status(Path disk) throws IOException {
        return MountAttributes.read(disk, ControlAttributes.SAVE_STATUS);
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            String why = f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
            return f.getFile() + ": " + why;
        }
        return String.valueOf(e.getMessage());
    }
}

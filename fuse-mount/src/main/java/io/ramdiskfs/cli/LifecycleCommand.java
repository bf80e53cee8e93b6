package io.ramdiskfs.cli;

import io.ramdiskfs.DiskNames;
import io.ramdiskfs.fs.ControlAttributes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ramdiskfs snapshot|rollback|snapshots|clone ...}: snapshots, rollbacks and clones of a
 * running mount, done through the mount itself ({@code mkdir MOUNT/.snap/NAME} and the
 * {@code user.ramdiskfs.*} attributes), so these commands and {@code setfattr}/{@code mkdir} are
 * interchangeable and need no second channel to the process.
 *
 * <pre>
 * ramdiskfs snapshot MOUNT[/DISK] NAME    # every disk at one instant, or one disk
 * ramdiskfs rollback MOUNT[/DISK] NAME    # every disk of snapshot NAME, or one disk
 * ramdiskfs snapshots MOUNT               # NAME: DISK... per snapshot, oldest first
 * ramdiskfs clone SRC DST                 # DST a new disk of the same mount sharing SRC's data
 * </pre>
 */
public final class LifecycleCommand {
    private static final List<String> COMMANDS = List.of("snapshot", "rollback", "snapshots", "clone");

    private final PrintStream out;
    private final PrintStream err;

    public LifecycleCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** True when {@code args} start with one of these commands. */
    public static boolean handles(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    /** Runs the command; returns 0, 1 (the mount refused: the reason is printed) or 2 (usage). */
    public int run(String[] args) {
        String command = args[0];
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            switch (command) {
                case "snapshot" -> snapshot(two(command, rest, "MOUNT[/DISK] NAME"));
                case "rollback" -> setAttribute(two(command, rest, "MOUNT[/DISK] NAME"), ControlAttributes.ROLLBACK);
                case "snapshots" -> list(one(command, rest, "MOUNT"));
                default -> cloneDisk(two(command, rest, "SRC DST"));
            }
            return 0;
        } catch (UsageException e) {
            err.println("ramdiskfs: " + e.getMessage());
            return Cli.USAGE;
        } catch (IOException e) {
            err.println("ramdiskfs " + command + ": " + reason(e));
            return Cli.MOUNT_FAILED;
        }
    }

    private static List<String> two(String command, List<String> rest, String usage) throws UsageException {
        if (rest.size() != 2) {
            throw new UsageException("usage: ramdiskfs " + command + " " + usage);
        }
        return rest;
    }

    private static String one(String command, List<String> rest, String usage) throws UsageException {
        if (rest.size() != 1) {
            throw new UsageException("usage: ramdiskfs " + command + " " + usage);
        }
        return rest.get(0);
    }

    private void snapshot(List<String> a) throws IOException {
        Path target = Path.of(a.get(0));
        if (Files.isDirectory(target)) {
            Files.createDirectory(target.resolve(DiskNames.SNAPSHOT_DIRECTORY).resolve(a.get(1)));
        } else {
            setAttribute(a, ControlAttributes.SNAPSHOT);
        }
        out.println("snapshot " + a.get(1) + " of " + target);
    }

    private static void setAttribute(List<String> a, String name) throws IOException {
        MountAttributes.write(Path.of(a.get(0)), name, a.get(1));
    }

    private void list(String mount) throws IOException {
        Path snap = Path.of(mount).resolve(DiskNames.SNAPSHOT_DIRECTORY);
        for (String name : entries(snap)) {
            out.println(name + ": " + String.join(" ", entries(snap.resolve(name))));
        }
    }

    /** Entries in the order the mount lists them (snapshots oldest first). */
    private static List<String> entries(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                names.add(p.getFileName().toString());
            }
        }
        return names;
    }

    private void cloneDisk(List<String> a) throws IOException, UsageException {
        Path src = Path.of(a.get(0)).toAbsolutePath().normalize();
        Path dst = Path.of(a.get(1)).toAbsolutePath().normalize();
        Path mount = src.getParent();
        if (mount != null && mount.getParent() != null && mount.getParent().getFileName() != null
                && mount.getParent().getFileName().toString().equals(DiskNames.SNAPSHOT_DIRECTORY)) {
            mount = mount.getParent().getParent(); // SRC is MOUNT/.snap/NAME/DISK
        }
        if (mount == null || !mount.equals(dst.getParent())) {
            throw new UsageException("clone: " + dst + " must be a new disk in the mount of " + src + " (" + mount + ")");
        }
        setAttribute(List.of(src.toString(), dst.getFileName().toString()), ControlAttributes.CLONE);
        out.println("cloned " + src + " to " + dst);
    }

    /** The errno text the mount answered with ("Device or resource busy"), and on what. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            String why = f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
            if (why.contains("Device or resource busy")) {
                why += " (the disk is open for writing: shut the VM down or losetup -d it first)";
            } else if (why.contains("Operation not supported")) {
                why += " (a passthrough disk, or a disk whose top is not a RAM layer)";
            }
            return f.getFile() + ": " + why;
        }
        return String.valueOf(e.getMessage());
    }
}

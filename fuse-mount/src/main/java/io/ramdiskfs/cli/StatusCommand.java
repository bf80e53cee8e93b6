package io.ramdiskfs.cli;

import io.ramdiskfs.MountTable;
import io.ramdiskfs.fs.ControlAttributes;
import io.ramdiskfs.status.MountStatus;
import io.ramdiskfs.status.StatusJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ramdiskfs status [MOUNT] [--json]}: what each disk of a running mount holds and has done.
 * It reads the mount's own {@code user.ramdiskfs.status} attribute, which the process serving the
 * mount makes up on each read: everything comes through the mount, nothing through a second
 * channel. Without MOUNT: every ramdiskfs mount in
 * {@code /proc/self/mountinfo}.
 *
 * <p>Exit codes: 0 shown, 1 the named mount could not be read, 2 bad command line. Listing every
 * mount, one that cannot be read (mounted by an older ramdiskfs, or with --no-xattr) is a line on
 * stderr, not a failure.
 */
public final class StatusCommand {
    static final String USAGE = "usage: ramdiskfs status [MOUNTPOINT] [--json]";
    private static final String STATUS = ControlAttributes.viewName(ControlAttributes.STATUS);

    private final PrintStream out;
    private final PrintStream err;

    public StatusCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** @param args what follows {@code status} */
    public int run(List<String> args) {
        boolean json = false;
        Path mount = null;
        for (String a : args) {
            if (a.equals("--json")) {
                json = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                out.println("Per disk: size, memory, layers, snapshots, and reads, writes and discards since the mount");
                out.println("(operations, bytes, latency percentiles); then the memory budget. Without MOUNTPOINT: every");
                out.println("ramdiskfs mount. --json prints the document the mount serves (an array without MOUNTPOINT).");
                return Cli.OK;
            } else if (a.startsWith("-") || mount != null) {
                err.println("ramdiskfs: status: unexpected argument '" + a + "'; " + USAGE);
                return Cli.USAGE;
            } else {
                mount = Path.of(a).toAbsolutePath().normalize();
            }
        }
        List<Path> mounts = new ArrayList<>();
        if (mount != null) {
            mounts.add(mount);
        } else {
            for (MountTable.Entry e : MountTable.all()) {
                if (e.isRamdiskfs()) {
                    mounts.add(e.mountPoint());
                }
            }
        }
        int code = Cli.OK;
        List<String> documents = new ArrayList<>();
        for (Path mp : mounts) {
            MountStatus s;
            try {
                s = read(mp);
            } catch (StatusException e) {
                err.println("ramdiskfs: status: " + e.getMessage());
                if (mount != null) {
                    code = Cli.MOUNT_FAILED; // listing every mount, one without status is only worth a line
                }
                continue;
            }
            if (json) {
                documents.add(StatusJson.write(s, mp.toString()));
            } else {
                if (!documents.isEmpty()) {
                    out.println();
                }
                documents.add("");
                out.print(StatusTable.render(mp, s));
            }
        }
        if (json) {
            out.println(mount != null ? (documents.isEmpty() ? "" : documents.get(0)) : "[" + String.join(",\n", documents) + "]");
        } else if (mounts.isEmpty()) {
            out.println("no ramdiskfs mounts");
        }
        out.flush();
        return code;
    }

    /** Reading a mount's status failed: one line saying why. */
    static final class StatusException extends Exception {
        StatusException(String message) {
            super(message);
        }
    }

    /** The mount's status document. */
    public static MountStatus read(Path mountPoint) throws StatusException {
        if (MountTable.find(mountPoint).filter(MountTable.Entry::isRamdiskfs).isEmpty()) {
            throw new StatusException(mountPoint + " is not a ramdiskfs mount");
        }
        String doc = attribute(mountPoint, STATUS);
        if (doc == null) {
            throw new StatusException(mountPoint + " serves no status (mounted with --no-xattr, or by an older ramdiskfs)");
        }
        MountStatus s;
        try {
            s = StatusJson.parse(doc);
        } catch (RuntimeException e) {
            throw new StatusException("the status of " + mountPoint + " cannot be read: " + e.getMessage());
        }
        return s;
    }

    /**
     * One {@code user.*} attribute as text, null when the file does not have it. The value can
     * grow between asking its size and reading it (the status counters run on): read into room
     * to spare, and ask again if even that was too small.
     */
    static String attribute(Path file, String name) throws StatusException {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return MountAttributes.call(file, view -> {
                    if (!view.list().contains(name)) {
                        return null;
                    }
                    ByteBuffer buf = ByteBuffer.allocate(view.size(name) * 2 + 4096);
                    view.read(name, buf);
                    buf.flip();
                    return StandardCharsets.UTF_8.decode(buf).toString();
                });
            } catch (FileSystemException e) {
                last = e;
                String m = String.valueOf(e.getMessage());
                if (m.contains("No data available") || m.contains("No such attribute")) {
                    return null;
                }
            } catch (IOException e) {
                last = e;
            }
        }
        throw new StatusException("cannot read " + name + " of " + file + ": " + last.getMessage());
    }
}

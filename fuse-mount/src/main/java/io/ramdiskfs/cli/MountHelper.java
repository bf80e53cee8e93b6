package io.ramdiskfs.cli;

import io.ramdiskfs.MountOptions;
import io.ramdiskfs.service.MetricsAddress;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ramdiskfs SOURCE MOUNTPOINT -o OPTIONS}: what {@code mount -t fuse.ramdiskfs} runs. It
 * checks the options, starts the mount as a daemon and returns only once the mount is live (exit
 * 0) or has failed (the daemon's exit code, its reason on stderr).
 *
 * <p>A JVM cannot fork, so the daemon is this program again, started afresh: the same java, JVM
 * flags and class path, the ordinary foreground command line, in a new session ({@code setsid}:
 * no controlling terminal, out of mount's process group), stdin from /dev/null, stdout and stderr
 * appended to a log file. It writes {@link ServiceRun#READY} into a file named in its environment
 * once the kernel lists the mount; this process waits for that or for the daemon's exit.
 * {@code umount MOUNTPOINT} ends the daemon: the kernel closes the connection, the foreground
 * code frees the disks and exits 0.
 */
final class MountHelper {
    private final PrintStream err;

    MountHelper(PrintStream err) {
        this.err = err;
    }

    int run(MountHelperArgs args, Path workingDir) {
        CliOptions o = new CliOptions();
        try {
            Cli.commandLine(o).parseArgs(args.cliArgs().toArray(String[]::new));
            o.toMountOptions(workingDir, MountOptions::defaultMemoryLimit);
            if (o.metrics != null) {
                try {
                    MetricsAddress.parse(o.metrics);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("metrics=" + e.getMessage());
                }
            }
        } catch (UsageException | IllegalArgumentException | picocli.CommandLine.ParameterException e) {
            return fail(Cli.USAGE, e.getMessage());
        }
        Path mountPoint = workingDir.resolve(args.mountPoint()).toAbsolutePath().normalize();
        Path log = args.logFile() != null ? workingDir.resolve(args.logFile()) : defaultLog(mountPoint);
        Path ready;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ready = Files.createTempFile("ramdiskfs-ready-", "");
        } catch (IOException e) {
            return fail(Cli.MOUNT_FAILED, "cannot prepare the daemon's log " + log + ": " + DiskSpecParser.oneLine(e));
        }
        try {
            return startAndWait(args, log, ready, workingDir, mountPoint);
        } finally {
            try {
                Files.deleteIfExists(ready);
            } catch (IOException e) {
                // a stray empty file in the temp directory
            }
        }
    }

    private int startAndWait(MountHelperArgs args, Path log, Path ready, Path workingDir, Path mountPoint) {
        long logStart = sizeOf(log);
        ProcessBuilder pb = new ProcessBuilder(daemonCommand(args.cliArgs()))
                .directory(workingDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        pb.environment().put(ServiceRun.READY_FILE_ENV, ready.toString());
        Process daemon;
        try {
            daemon = pb.start();
        } catch (IOException e) {
            return fail(Cli.MOUNT_FAILED, "cannot start the daemon for " + mountPoint + ": " + DiskSpecParser.oneLine(e));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.daemonTimeoutSeconds());
        while (true) {
            if (isReady(ready)) {
                return Cli.OK;
            }
            if (!daemon.isAlive()) {
                if (isReady(ready)) {
                    return Cli.OK; // mounted, then unmounted at once by someone: it was live
                }
                int code = daemon.exitValue();
                relayErrors(log, logStart, mountPoint);
                return code == 0 ? fail(Cli.MOUNT_FAILED, "the daemon exited before " + mountPoint + " was mounted; see " + log) : code;
            }
            if (System.nanoTime() > deadline) {
                daemon.destroy();
                return fail(Cli.MOUNT_FAILED, mountPoint + " was not mounted within " + args.daemonTimeoutSeconds()
                        + " s (daemon_timeout=); the daemon was stopped; see " + log);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fail(Cli.MOUNT_FAILED, "interrupted while waiting for " + mountPoint);
            }
        }
    }

    /** This JVM again (its java, flags and class path), in a new session when setsid is there. */
    static List<String> daemonCommand(List<String> cliArgs) {
        List<String> cmd = new ArrayList<>();
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                cmd.add(setsid);
                break;
            }
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(cliArgs);
        return cmd;
    }

    /**
     * {@code /var/log/ramdiskfs/mnt-rd.log} for {@code /mnt/rd} as root; elsewhere the user's
     * runtime directory (or /tmp).
     */
    static Path defaultLog(Path mountPoint) {
        String name = mountPoint.toString().replaceAll("^/+", "").replace('/', '-');
        if (name.isEmpty()) {
            name = "root";
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir;
        if (root) {
            dir = Path.of("/var/log/ramdiskfs");
        } else {
            String runtime = System.getenv("XDG_RUNTIME_DIR");
            dir = runtime != null && !runtime.isEmpty() ? Path.of(runtime, "ramdiskfs")
                    : Path.of(System.getProperty("java.io.tmpdir"), "ramdiskfs-" + System.getProperty("user.name"));
        }
        return dir.resolve(name + ".log");
    }

    private static boolean isReady(Path ready) {
        try {
            return Files.readString(ready).startsWith(ServiceRun.READY);
        } catch (IOException e) {
            return false;
        }
    }

    /** The daemon's own error lines ("ramdiskfs: ..."), or the tail of what it wrote when it has none. */
    private void relayErrors(Path log, long from, Path mountPoint) {
        List<String> lines = new ArrayList<>();
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            f.seek(Math.min(from, f.length()));
            byte[] b = new byte[(int) Math.min(f.length() - f.getFilePointer(), 1 << 20)];
            f.readFully(b);
            lines.addAll(new String(b, StandardCharsets.UTF_8).lines().toList());
        } catch (IOException e) {
            err.println("ramdiskfs: the daemon for " + mountPoint + " failed; its log " + log + " cannot be read: " + e.getMessage());
            return;
        }
        List<String> errors = lines.stream().filter(l -> l.startsWith("ramdiskfs: ")).toList();
        List<String> show = !errors.isEmpty() ? errors : lines.subList(Math.max(0, lines.size() - 20), lines.size());
        show.forEach(err::println);
        err.flush();
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private int fail(int code, String message) {
        err.println("ramdiskfs: " + Cli.oneLine(message));
        err.flush();
        return code;
    }
}

package io.ramdiskfs.cli;

import io.ramdiskfs.MountException;
import io.ramdiskfs.MountOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * One run of the command line: parse, check, mount, serve in the foreground, exit code. Never
 * calls System.exit; everything it touches outside the JVM (the mounter, signals, the working
 * directory) can be swapped for tests.
 *
 * <p>Exit codes: {@link #OK} (unmounted, --help, --version), {@link #MOUNT_FAILED} (the mount
 * could not be made, or a detach failed), {@link #USAGE} (a bad command line; nothing mounted).
 * Every error is one line on stderr: {@code ramdiskfs: <message>}.
 */
public final class Cli {
    public static final int OK = 0;
    public static final int MOUNT_FAILED = 1;
    public static final int USAGE = 2;

    private final PrintStream out;
    private final PrintStream err;
    private Mounter mounter = Mounter.RAMDISKFS;
    private ProcessHooks hooks = ProcessHooks.NONE;
    private Path workingDir = Path.of("").toAbsolutePath();
    private LongSupplier defaultMemoryLimit = MountOptions::defaultMemoryLimit;
    private long retryMillis = 1000;

    public Cli(PrintStream out, PrintStream err) {
        this.out = Objects.requireNonNull(out);
        this.err = Objects.requireNonNull(err);
    }

    public Cli mounter(Mounter m) {
        this.mounter = Objects.requireNonNull(m);
        return this;
    }

    public Cli hooks(ProcessHooks h) {
        this.hooks = Objects.requireNonNull(h);
        return this;
    }

    public Cli workingDirectory(Path dir) {
        this.workingDir = dir.toAbsolutePath();
        return this;
    }

    public Cli defaultMemoryLimit(LongSupplier s) {
        this.defaultMemoryLimit = Objects.requireNonNull(s);
        return this;
    }

    public Cli retryMillis(long millis) {
        this.retryMillis = millis;
        return this;
    }

    /** The picocli view of {@code options}: no @-files, our own value parsing. */
    static CommandLine commandLine(CliOptions options) {
        CommandLine cl = new CommandLine(options);
        cl.setExpandAtFiles(false); // a mount point or image may start with '@'
        return cl;
    }

    public int run(String... args) {
        CliOptions o = new CliOptions();
        CommandLine cl = commandLine(o);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.UnmatchedArgumentException e) {
            if (!e.getUnmatched().isEmpty() && !e.getUnmatched().get(0).startsWith("-")) {
                return usageError("unexpected argument '" + e.getUnmatched().get(0) + "': give at most one MOUNTPOINT");
            }
            return usageError(e.getMessage());
        } catch (CommandLine.ParameterException e) {
            return usageError(e.getMessage());
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(out);
            out.flush();
            return OK;
        }
        if (cl.isVersionHelpRequested()) {
            out.println("ramdiskfs " + Version.get());
            out.flush();
            return OK;
        }
        Logging.configure(o.verbosity()); // before the first Logger anywhere
        MountOptions options;
        try {
            options = o.toMountOptions(workingDir, defaultMemoryLimit);
        } catch (UsageException e) {
            return usageError(e.getMessage());
        }
        Logger log = LoggerFactory.getLogger(Cli.class);
        if (o.mountPointDefaulted() && Files.notExists(options.mountPoint())) {
            try {
                Files.createDirectory(options.mountPoint());
                log.info("created the mount point {}", options.mountPoint());
            } catch (FileAlreadyExistsException e) {
                // made meanwhile: fine
            } catch (IOException e) {
                return failure("cannot create the mount point " + options.mountPoint() + ": " + DiskSpecParser.oneLine(e));
            }
        }
        ServiceRun service;
        try {
            service = ServiceRun.prepare(o.metrics, log);
        } catch (UsageException e) {
            return usageError(e.getMessage());
        } catch (MountException e) {
            return failure(e.getMessage());
        }
        PendingSignals signals = new PendingSignals();
        hooks.install(signals);
        Mounter.Mounted mount;
        try {
            mount = mounter.mount(options);
        } catch (MountException e) {
            log.debug("mount failed", e);
            service.close();
            return failure(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            log.debug("mount failed", e);
            service.close();
            return failure("cannot mount " + options.mountPoint() + ": " + e);
        }
        io.ramdiskfs.status.MountStatus status = mount.status(); // the budget as mounted: clamped under a memory cgroup
        String summary = MountSummary.describe(mount.mountPoint(),
                status == null ? options : options.withMemoryLimit(status.memoryLimitBytes()));
        log.info("{}", summary);
        try (service) {
            service.mounted(mount, summary);
            Foreground foreground = new Foreground(mount, log, retryMillis);
            signals.deliverTo(service.notifying(foreground));
            return foreground.serve();
        }
    }

    private int usageError(String message) {
        err.println("ramdiskfs: " + oneLine(message));
        err.flush();
        return USAGE;
    }

    private int failure(String message) {
        err.println("ramdiskfs: " + oneLine(message));
        err.flush();
        return MOUNT_FAILED;
    }

    /** One line, starting in lower case like the rest of our messages ("Unknown option" from picocli). */
    static String oneLine(String message) {
        String m = message == null ? "unknown error" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
        if (m.length() > 1 && Character.isUpperCase(m.charAt(0)) && Character.isLowerCase(m.charAt(1))) {
            m = m.substring(0, 1).toLowerCase(Locale.ROOT) + m.substring(1);
        }
        return m;
    }
}

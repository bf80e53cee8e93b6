package io.ramdiskfs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Which command an argv is: {@code snapshot|rollback|snapshots|clone} ({@link LifecycleCommand}),
 * {@code save|commit} ({@link ImageCommand}), {@code status ...} ({@link StatusCommand}), the mount helper form
 * {@code SOURCE MOUNTPOINT -o OPTIONS} ({@link MountHelperArgs}), or the ordinary command line
 * ({@link Cli}). Kept apart from {@link Cli} so that each stays one command.
 */
public final class Commands {
    private Commands() {}

    /** Runs {@code args} with the process's signals and streams; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (LifecycleCommand.handles(args)) {
            return new LifecycleCommand(out, err).run(args);
        }
        if (ImageCommand.handles(args)) {
            return new ImageCommand(out, err, System.console() != null).run(args);
        }
        if (args.length > 0 && args[0].equals("status")) {
            return new StatusCommand(out, err).run(Arrays.asList(args).subList(1, args.length));
        }
        if (MountHelperArgs.isHelperForm(args)) {
            MountHelperArgs h;
            try {
                h = MountHelperArgs.parse(Arrays.asList(args));
            } catch (UsageException e) {
                err.println("ramdiskfs: " + Cli.oneLine(e.getMessage()));
                err.flush();
                return Cli.USAGE;
            }
            Path cwd = Path.of("").toAbsolutePath();
            if (h.daemon()) {
                return new MountHelper(err).run(h, cwd);
            }
            return new Cli(out, err).hooks(ProcessHooks.SYSTEM).run(h.cliArgs().toArray(String[]::new));
        }
        return new Cli(out, err).hooks(ProcessHooks.SYSTEM).run(args);
    }
}

package io.ramdiskfs.cli;

import java.io.PrintStream;

/** {@code ramdiskfs [OPTIONS] [MOUNTPOINT]}: see {@link Cli} and {@code ramdiskfs --help}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int code = Commands.run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        // FUSE worker threads are not daemons; the exit code is decided, so end here.
        System.exit(code);
    }

    /**
     * The exit code of one command line, without System.exit: 0 done, 1 mount failure, 2 bad
     * command line. Mounts for real (without signal handlers) if the command line is valid.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new Cli(out, err).run(args);
    }
}

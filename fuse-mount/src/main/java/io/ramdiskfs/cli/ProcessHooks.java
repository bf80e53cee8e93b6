package io.ramdiskfs.cli;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where signals and JVM shutdown reach a {@link SignalSink}: the process's own, or none (tests). */
public interface ProcessHooks {
    /** The signals that unmount: Ctrl-C and {@code kill}. */
    List<String> SIGNALS = List.of("INT", "TERM");

    void install(SignalSink sink);

    /** Nothing: a test drives {@link Foreground#onSignal} itself. */
    ProcessHooks NONE = sink -> {};

    /**
     * SIGINT and SIGTERM through {@code sun.misc.Signal}, which replaces the JVM's handler (that
     * one would run shutdown hooks and exit at once, with no way to keep serving a busy mount).
     * A shutdown hook stays as a backstop for any other way out: it detaches the mount lazily so
     * no dead mount is left behind.
     */
    ProcessHooks SYSTEM = sink -> {
        Logger log = LoggerFactory.getLogger(ProcessHooks.class);
        if (ignoresSigint()) {
            // The JVM silently keeps an inherited "ignore" (a shell's '&' sets it): say so once.
            log.warn("SIGINT is ignored by this process (started in the background by a shell?): use SIGTERM to unmount");
        }
        for (String name : SIGNALS) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> sink.onSignal("SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                log.warn("cannot handle SIG{} ({}); it will end the process without unmounting", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sink::onShutdown, "ramdiskfs-shutdown"));
    };

    /** True when this process inherited SIGINT as ignored (bit 2 of SigIgn in /proc/self/status). */
    static boolean ignoresSigint() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 0x2) != 0;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux, or no /proc: nothing to warn about.
        }
        return false;
    }
}

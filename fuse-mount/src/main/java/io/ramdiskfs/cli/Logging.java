package io.ramdiskfs.cli;

/**
 * Sets up slf4j-simple through system properties, which it reads once, when the first Logger is
 * made: so {@link #configure} runs before anything logs. Defaults (info, to stderr, with the time)
 * are in {@code simplelogger.properties}; a property given with {@code -D} (JAVA_OPTS) wins over
 * both, except that {@code -v} raises the level.
 */
public final class Logging {
    static final String PREFIX = "org.slf4j.simpleLogger.";

    private Logging() {}

    /** @param verbosity 0 = info, 1 = debug, 2+ = trace */
    public static void configure(int verbosity) {
        setIfAbsent("logFile", "System.err");
        setIfAbsent("showDateTime", "true");
        setIfAbsent("dateTimeFormat", "HH:mm:ss.SSS");
        setIfAbsent("showShortLogName", "true");
        setIfAbsent("levelInBrackets", "false");
        if (verbosity >= 2) {
            System.setProperty(PREFIX + "defaultLogLevel", "trace");
        } else if (verbosity == 1) {
            System.setProperty(PREFIX + "defaultLogLevel", "debug");
        } else {
            setIfAbsent("defaultLogLevel", "info");
        }
        // Which thread said it matters once there is more than lifecycle to read.
        setIfAbsent("showThreadName", Boolean.toString(verbosity > 0));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(PREFIX + key) == null) {
            System.setProperty(PREFIX + key, value);
        }
    }

    /** The level {@link #configure} left in force: for tests. */
    static String level() {
        return System.getProperty(PREFIX + "defaultLogLevel");
    }
}

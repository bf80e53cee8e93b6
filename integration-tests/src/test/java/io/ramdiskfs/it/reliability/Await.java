package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.CliProcess;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline; a timeout fails with what was being waited for. */
final class Await {
    private Await() {}

    /** Polls {@code condition} every 50 ms; fails with {@code what.get()} after {@code timeout}. */
    static void until(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what.get());
            }
            sleep(50);
        }
    }

    /** The child's stderr (its log) contains {@code fragment}. */
    static void logLine(CliProcess rd, String fragment, Duration timeout) {
        until(timeout, () -> rd.stderr().contains(fragment),
                () -> "'" + fragment + "' in the log of ramdiskfs\n" + rd.describe());
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}

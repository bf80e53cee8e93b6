package io.ramdiskfs.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes on the command line: a whole number of bytes with an optional binary suffix K, M, G, T or
 * P (each ×1024), case-insensitive, optionally followed by {@code B} or {@code iB}: {@code 4096},
 * {@code 64k}, {@code 512M}, {@code 1GiB}, {@code 8GB}, {@code 100B}.
 */
public final class SizeParser {
    private static final Pattern SIZE = Pattern.compile("([0-9]+)(?:([KMGTP])(?:I?B)?|B)?", Pattern.CASE_INSENSITIVE);
    private static final String UNITS = "KMGTP";

    private SizeParser() {}

    /**
     * The number of bytes {@code text} stands for.
     *
     * @throws UsageException naming {@code text} when it is not a size, is negative, or does not fit in a long
     */
    public static long parse(String text) throws UsageException {
        if (text == null || text.isBlank()) {
            throw new UsageException("size '" + (text == null ? "" : text) + "' is empty; give e.g. 512M, 8G or 4096");
        }
        String t = text.trim();
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            if (t.startsWith("-") && SIZE.matcher(t.substring(1)).matches()) {
                throw new UsageException("size '" + text + "' is negative");
            }
            throw new UsageException("size '" + text + "' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)");
        }
        long number;
        try {
            number = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw tooLarge(text);
        }
        int shift = m.group(2) == null ? 0 : 10 * (UNITS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
        if (shift > 0 && number > (Long.MAX_VALUE >> shift)) {
            throw tooLarge(text);
        }
        return number << shift;
    }

    private static UsageException tooLarge(String text) {
        return new UsageException("size '" + text + "' is too large");
    }

    /** {@code bytes} the short way, for messages: 1G, 512M, 1000 (exact, never rounded). */
    public static String format(long bytes) {
        if (bytes == 0) {
            return "0";
        }
        int unit = 0;
        long v = bytes;
        while (unit < UNITS.length() && v % 1024 == 0) {
            v /= 1024;
            unit++;
        }
        return unit == 0 ? Long.toString(bytes) : v + UNITS.substring(unit - 1, unit);
    }
}

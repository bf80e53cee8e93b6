package io.ramdiskfs.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's list of mounts ({@code /proc/self/mountinfo}), read independently of the
 * product's own parser, and whether a FUSE mount actually answers.
 */
public final class MountInfo {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountInfo() {}

    /** One mount: where, filesystem type, source. */
    public record Entry(String mountPoint, String fsType, String source) {}

    public static List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(MOUNTINFO)) {
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (dash > 4 && dash + 2 < f.length) {
                    all.add(new Entry(unescape(f[4]), f[dash + 1], unescape(f[dash + 2])));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /** The mounts at exactly {@code dir}, oldest first (stacked mounts give more than one). */
    public static List<Entry> at(Path dir) {
        String want = dir.toAbsolutePath().normalize().toString();
        return entries().stream().filter(e -> e.mountPoint().equals(want)).toList();
    }

    public static boolean isMounted(Path dir) {
        return !at(dir).isEmpty();
    }

    /** Listed as {@code fuse.ramdiskfs} and answering (not a dead endpoint). */
    public static boolean isLiveRamdiskfs(Path dir) {
        List<Entry> here = at(dir);
        if (here.isEmpty() || !here.get(here.size() - 1).fsType().equals("fuse.ramdiskfs")) {
            return false;
        }
        return statError(dir) == null;
    }

    /**
     * Whether the filesystem at {@code dir} answers: null when it lists the directory, else the
     * error text ("Transport endpoint is not connected" for a dead FUSE mount). A listing, not a
     * stat: the kernel answers stat from its attribute cache for a second after the daemon died.
     */
    public static String statError(Path dir) {
        try (var list = Files.newDirectoryStream(dir)) {
            list.iterator().hasNext();
            return null;
        } catch (IOException e) {
            return String.valueOf(e.getMessage());
        }
    }

    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries()) {
            if (e.fsType().startsWith("fuse")) {
                sb.append(e).append('\n');
            }
        }
        return sb.length() == 0 ? "(no fuse mounts)" : sb.toString();
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}

package io.ramdiskfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code /proc/self/mountinfo}: the kernel's word on what is mounted where. A mount is live
 * when it appears there, whatever a library's {@code mount()} call returned.
 */
public final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** One line of mountinfo: where, what type, from what source. */
    public record Entry(Path mountPoint, String fsType, String source) {
        public boolean isFuse() {
            return fsType.equals("fuse") || fsType.startsWith("fuse.");
        }

        /** Mounted by ramdiskfs: the {@code fuse.ramdiskfs} subtype or the {@code ramdiskfs} source. */
        public boolean isRamdiskfs() {
            return fsType.equals("fuse.ramdiskfs") || source.equals("ramdiskfs");
        }
    }

    private MountTable() {}

    /** The newest mount at exactly {@code mountPoint}, if any. */
    public static Optional<Entry> find(Path mountPoint) {
        List<String> lines;
        try {
            lines = Files.readAllLines(MOUNTINFO);
        } catch (IOException e) {
            return Optional.empty();
        }
        String want = canonical(mountPoint).toString();
        Entry found = null;
        for (String line : lines) {
            Entry e = parse(line);
            if (e != null && e.mountPoint().toString().equals(want)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * {@code mountPoint} as the kernel writes it in mountinfo: with the symbolic links of its parent
     * directories resolved (mounting at {@code /tmp/link/mnt} lists {@code /tmp/real/mnt}). The last
     * component is kept as given: resolving it would stat the mount's root, which hangs on a
     * mount whose daemon is stuck.
     */
    public static Path canonical(Path mountPoint) {
        Path p = mountPoint.toAbsolutePath().normalize();
        Path parent = p.getParent();
        if (parent == null) {
            return p;
        }
        try {
            return parent.toRealPath().resolve(p.getFileName());
        } catch (IOException e) {
            return p; // a parent that is missing or unreadable: the caller reports the path as given
        }
    }

    /** Every mount, oldest first. */
    public static List<Entry> all() {
        List<Entry> all = new java.util.ArrayList<>();
        try {
            for (String line : Files.readAllLines(MOUNTINFO)) {
                Entry e = parse(line);
                if (e != null) {
                    all.add(e);
                }
            }
        } catch (IOException e) {
            // no /proc: nothing is mounted as far as we can tell
        }
        return all;
    }

    static Entry parse(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
            return null;
        }
        return new Entry(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2]));
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    // not an escape: keep the backslash
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }
}

package io.ramdiskfs;

import java.nio.charset.StandardCharsets;

/** The rules for a disk's file name: what a flat directory of regular files can hold. */
public final class DiskNames {
    /** Linux's NAME_MAX, in bytes of UTF-8. */
    public static final int MAX_BYTES = 255;
    /** The virtual directory of snapshots in the mount root; never a disk. */
    public static final String SNAPSHOT_DIRECTORY = ".snap";

    private DiskNames() {}

    /** Null when {@code name} is a valid disk name, else why not (naming it). */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "disk name is empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "disk name '" + name + "' is reserved";
        }
        if (name.equals(SNAPSHOT_DIRECTORY)) {
            return "disk name '" + name + "' is reserved for the directory of snapshots";
        }
        if (name.indexOf('/') >= 0) {
            return "disk name '" + name + "' contains '/'";
        }
        if (name.indexOf('\0') >= 0) {
            return "disk name '" + name.replace("\0", "\\0") + "' contains a NUL byte";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            return "disk name of " + bytes + " bytes is longer than " + MAX_BYTES;
        }
        return null;
    }

    /** Throws IllegalArgumentException with {@link #problem} unless the name is valid. */
    public static void check(String name) {
        String p = problem(name);
        if (p != null) {
            throw new IllegalArgumentException(p);
        }
    }
}

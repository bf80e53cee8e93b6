package io.ramdiskfs;

import io.ramdiskfs.fs.DaemonUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code /etc/fuse.conf}, read as fusermount reads it: a user other than root may mount with
 * {@code allow_other} only when it holds the line {@code user_allow_other}. Checked before
 * mounting so the refusal names the file and the line to add, instead of fusermount's
 * "option allow_other only allowed if 'user_allow_other' is set" after the disks were built.
 */
public final class FuseConf {
    public static final Path PATH = Path.of("/etc/fuse.conf");
    private static final String USER_ALLOW_OTHER = "user_allow_other";

    private final Path file;
    /** Null when the file exists but cannot be read: then fusermount (setuid root) decides. */
    private final Boolean userAllowOther;

    private FuseConf(Path file, Boolean userAllowOther) {
        this.file = file;
        this.userAllowOther = userAllowOther;
    }

    public static FuseConf read(Path file) {
        try {
            return new FuseConf(file, Files.readAllLines(file, StandardCharsets.ISO_8859_1).stream()
                    .anyMatch(l -> strip(l).equals(USER_ALLOW_OTHER)));
        } catch (NoSuchFileException e) {
            return new FuseConf(file, false);
        } catch (IOException | java.io.UncheckedIOException e) {
            return new FuseConf(file, null);
        }
    }

    /** fusermount's strip_line: a {@code #} starts a comment; white space around is not part of the line. */
    private static String strip(String line) {
        int hash = line.indexOf('#');
        return (hash >= 0 ? line.substring(0, hash) : line).strip();
    }

    /** True when the file says {@code user_allow_other}; false when it does not or is missing. */
    public boolean allowsOther() {
        return Boolean.TRUE.equals(userAllowOther);
    }

    /** Refuses {@code --allow-other} for a user other than root when the file does not allow it. */
    public void checkAllowOther(DaemonUser user) throws MountException {
        if (user.isRoot() || userAllowOther == null || userAllowOther) {
            return;
        }
        throw new MountException("--allow-other needs the line " + USER_ALLOW_OTHER + " in " + file + " when ramdiskfs"
                + " does not run as root (uid " + user.uid() + "): have root add it, or mount without --allow-other");
    }
}

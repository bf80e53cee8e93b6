package io.ramdiskfs;

import io.ramdiskfs.fs.DaemonUser;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * {@code /dev/fuse}, which fusermount opens with the rights of the user who mounts: distributions
 * ship it mode 0666, but some systems keep it 0600 for root. Checked before mounting so the
 * refusal names the device and its mode, instead of fusermount's line after the disks were built.
 */
public final class FuseDevice {
    public static final Path PATH = Path.of("/dev/fuse");

    private FuseDevice() {}

    /** Refuses a missing device, or one this (non-root) user can neither read nor write. */
    public static void check(Path device, DaemonUser user) throws MountException {
        if (!Files.exists(device)) {
            throw new MountException(device + " does not exist: load the module (modprobe fuse) or, in a container,"
                    + " pass the device (docker run --device /dev/fuse --cap-add SYS_ADMIN)");
        }
        if (user.isRoot() || (Files.isReadable(device) && Files.isWritable(device))) {
            return;
        }
        throw new MountException(device + " cannot be opened by uid " + user.uid() + " (" + modeOf(device)
                + "): ramdiskfs as an ordinary user needs it readable and writable, as distributions ship it"
                + " (chmod 0666 " + device + " as root), or run it as root");
    }

    private static String modeOf(Path device) {
        try {
            var a = Files.readAttributes(device, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return "mode " + java.nio.file.attribute.PosixFilePermissions.toString(a.permissions()) + ", "
                    + a.owner().getName() + ":" + a.group().getName();
        } catch (java.io.IOException | RuntimeException e) {
            return "mode unknown";
        }
    }
}

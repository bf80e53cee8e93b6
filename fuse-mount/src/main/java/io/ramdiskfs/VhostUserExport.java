package io.ramdiskfs;

import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.vhost.VhostUserDoor;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The one place the mount opens its second door (SPEC section 9): the vhost-user module serves the
 * disk service's namespace and knows nothing of FUSE, so the FUSE side's only dependency on it is
 * here, where a mount with {@link MountOptions#vhostUser()} opens it once the mount is live.
 */
final class VhostUserExport {
    private VhostUserExport() {}

    /** Serves every disk of {@code namespace} on {@code dir/NAME.sock} until the returned door is closed. */
    static VhostUserDoor open(Path dir, DiskNamespace namespace) throws MountException {
        try {
            return VhostUserDoor.open(dir, namespace);
        } catch (IOException e) {
            throw new MountException(e.getMessage(), e); // names the directory or the disk already
        } catch (RuntimeException | LinkageError e) {
            throw new MountException("the vhost-user door on " + dir + " cannot open: " + e, e);
        }
    }
}

package io.ramdiskfs;

import io.ramdiskfs.fuse.jnr.FuseSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mount point's side of mounting: what may be mounted over (a dead mount of a killed run is
 * cleared, a live one refused), and undoing a mount that never came up live without freeing
 * disks under a loop that may still serve them.
 */
final class MountPoint {
    private static final Logger log = LoggerFactory.getLogger(MountPoint.class);
    /** How long a loop that never came up may take to stop once its mount is detached. */
    private static final long ABANDON_MILLIS = 10_000;

    private MountPoint() {}

    /**
     * Refuses a missing mount point, a file, or a live mount; clears a dead ramdiskfs mount
     * ("Transport endpoint is not connected") left by a killed run.
     */
    static void prepare(Path mp) throws MountException {
        var entry = MountTable.find(mp);
        if (entry.isPresent()) {
            boolean dead = isDead(mp);
            if (!dead) {
                throw new MountException("mount point " + mp + " is already a live mount (" + entry.get().fsType()
                        + "); unmount it first: fusermount -u " + mp);
            }
            if (!entry.get().isFuse()) {
                throw new MountException("mount point " + mp + " is a broken " + entry.get().fsType() + " mount; unmount it first");
            }
            Fusermount.Result r = Fusermount.unmount(mp, false);
            if (!r.ok()) {
                r = Fusermount.unmount(mp, true);
            }
            if (!r.ok()) {
                throw new MountException("mount point " + mp + " holds a dead FUSE mount that could not be cleared: " + r.output());
            }
            log.info("cleared a dead mount at {} left by an earlier run", mp);
        }
        if (!Files.exists(mp)) {
            throw new MountException("mount point " + mp + " does not exist");
        }
        if (!Files.isDirectory(mp)) {
            throw new MountException("mount point " + mp + " is not a directory");
        }
    }

    /**
     * Lists the directory rather than stat it: the kernel answers a stat from its attribute cache
     * for up to a second after the daemon died, but an opendir always reaches the daemon.
     */
    private static boolean isDead(Path mp) {
        try (var list = Files.newDirectoryStream(mp)) {
            list.iterator().hasNext();
            return false;
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("Transport endpoint is not connected") || m.contains("not connected");
        }
    }

    /**
     * Stops a loop whose mount never showed as live: ends the session, detaches the mount, and
     * waits for the workers. False when they did not stop: the disks must then stay allocated,
     * since a worker may still be serving from their memory.
     */
    static boolean abandon(FuseSession session, Path mp) {
        boolean interrupted = Thread.interrupted();
        try {
            session.exitLoop();
            if (MountTable.find(mp).filter(MountTable.Entry::isRamdiskfs).isPresent() || session.isRunning()) {
                Fusermount.unmount(mp, true);
            }
            if (session.awaitExit(ABANDON_MILLIS)) {
                return true;
            }
            log.error("the FUSE loop at {} did not stop within {} ms of giving up on the mount; its disks stay in memory"
                    + " until the process exits", mp, ABANDON_MILLIS);
            return false;
        } catch (MountException | InterruptedException e) {
            log.error("could not stop the FUSE loop at {} after giving up on the mount: {}", mp, e.getMessage());
            return false;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

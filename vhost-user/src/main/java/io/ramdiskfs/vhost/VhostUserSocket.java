package io.ramdiskfs.vhost;

import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.vhost.os.Os;
import io.ramdiskfs.vhost.os.PeerCredentials;
import io.ramdiskfs.vhost.os.UnixConnection;
import io.ramdiskfs.vhost.os.UnixListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One disk's vhost-user-blk socket: listens at {@code DIR/NAME.sock} and serves one front end at a
 * time (a second is refused while one is connected; a VM restart reconnects). A writable guest
 * holds the disk for writing while it is connected, so rollback and commit refuse with EBUSY.
 */
public final class VhostUserSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VhostUserSocket.class);

    private final ServedDisk disk;
    private final UnixListener listener;
    private final Thread acceptor;
    private volatile Path path;
    /** How long a read-only front end's session may take to end when a writer takes the disk over. */
    private static final long TAKE_OVER_MILLIS = 5_000;
    private volatile VhostUserSession session;
    private volatile Thread sessionThread;

    private VhostUserSocket(ServedDisk disk, Path path, UnixListener listener) {
        this.disk = disk;
        this.path = path;
        this.listener = listener;
        this.acceptor = new Thread(this::acceptLoop, "vhost-user accept " + disk.name());
        acceptor.setDaemon(true);
    }

    /** Binds the socket for {@code disk} at {@code path} with the disk file's owner and mode, and starts listening. */
    public static VhostUserSocket open(ServedDisk disk, Path path) throws IOException {
        VhostUserSocket s = new VhostUserSocket(disk, path, UnixListener.bind(path));
        s.applyAttributes();
        s.acceptor.start();
        return s;
    }

    public Path path() {
        return path;
    }

    /** Whether a front end is connected now. */
    public boolean connected() {
        Thread t = sessionThread;
        return t != null && t.isAlive();
    }

    /** Follows a rename of the disk; a connected guest stays connected. */
    public void moveTo(Path newPath) throws IOException {
        Files.move(path, newPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        path = newPath;
    }

    /** Gives the socket the disk file's owner and (connect-granting) mode. */
    public void applyAttributes() {
        String p = path.toString();
        if (Os.libc().chown(p, disk.uid(), disk.gid()) != 0) {
            LOG.debug("vhost-user {}: chown of {} failed: errno {}", disk.name(), p, Os.errno());
        }
        Os.libc().chmod(p, PeerAccess.socketMode(disk.mode()));
    }

    private void acceptLoop() {
        while (true) {
            int fd;
            try {
                fd = listener.accept();
            } catch (IOException e) {
                LOG.error("vhost-user {}: accept failed, the socket stops: {}", disk.name(), e.getMessage());
                return;
            }
            if (fd < 0) {
                return;
            }
            try {
                admit(fd);
            } catch (RuntimeException e) {
                LOG.error("vhost-user {}: connection refused", disk.name(), e);
                Os.closeQuietly(fd);
            }
        }
    }

    private void admit(int fd) {
        PeerAccess access;
        PeerCredentials peer;
        try {
            peer = UnixListener.peerOf(fd);
            access = PeerAccess.of(peer, disk);
        } catch (IOException e) {
            Os.closeQuietly(fd);
            return;
        }
        if (access == PeerAccess.NONE) {
            Os.closeQuietly(fd);
            return;
        }
        boolean writable = access == PeerAccess.READ_WRITE;
        if (connected()) {
            VhostUserSession current = session;
            // One VM per disk at a time; but a peer that may only read must not keep out one
            // that may write (the disk's owner): the writer takes the disk over.
            if (!writable || current == null || !current.readOnly() || !takeOver(current)) {
                LOG.warn("vhost-user {}: a second front end (pid {} uid {}) was refused: one VM per disk at a time",
                        disk.name(), peer.pid(), peer.uid());
                Os.closeQuietly(fd);
                return;
            }
        }
        LOG.info("vhost-user {}: front end pid {} uid {} connected, {}", disk.name(), peer.pid(), peer.uid(), access);
        DiskHold hold;
        try {
            hold = disk.hold("vhost-user connection on " + path.getFileName(), writable);
        } catch (FsException e) {
            LOG.warn("vhost-user {}: connection refused: {}", disk.name(), e.getMessage());
            Os.closeQuietly(fd);
            return;
        }
        VhostUserSession s = new VhostUserSession(new UnixConnection(fd), disk, !writable);
        Thread t = new Thread(() -> {
            try {
                s.run();
            } finally {
                hold.close();
            }
        }, "vhost-user " + disk.name());
        t.setDaemon(true);
        session = s;
        sessionThread = t;
        t.start();
    }

    /** Disconnects the read-only front end {@code current} for a writer; true once its session has ended. */
    private boolean takeOver(VhostUserSession current) {
        LOG.warn("vhost-user {}: a front end that may write takes the disk over from a read-only one", disk.name());
        current.drop();
        Thread t = sessionThread;
        try {
            if (t != null) {
                t.join(TAKE_OVER_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !connected();
    }

    /** The disk was resized: tells a connected front end, so its guest sees the new capacity now. */
    public boolean configChanged() {
        VhostUserSession s = session;
        return s != null && s.configChanged();
    }

    /** Stops listening, disconnects the front end, waits for both, and removes the socket file. */
    @Override
    public void close() {
        listener.close();
        join(acceptor);
        listener.release();
        VhostUserSession s = session;
        if (s != null) {
            s.drop();
        }
        Thread t = sessionThread;
        if (t != null) {
            join(t);
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("vhost-user {}: {} not removed: {}", disk.name(), path, e.getMessage());
        }
    }

    private static void join(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}

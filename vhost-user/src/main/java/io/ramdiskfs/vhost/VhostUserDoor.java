package io.ramdiskfs.vhost;

import io.ramdiskfs.disks.DiskNamespace;
import io.ramdiskfs.disks.NamespaceWatcher;
import io.ramdiskfs.disks.ServedDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vhost-user door of a mount ({@code --vhost-user DIR}): every disk NAME is served on
 * {@code DIR/NAME.sock}, created, renamed, re-permissioned and removed with the disk by following
 * the namespace, and all removed when the door closes (unmount).
 */
public final class VhostUserDoor implements NamespaceWatcher, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VhostUserDoor.class);
    public static final String SUFFIX = ".sock";

    private final Path directory;
    private final Map<Long, VhostUserSocket> sockets = new HashMap<>();
    private AutoCloseable watch;
    private boolean closed;
    /** Why the first disk that could not be served was not, while {@link #open} tells of the disks present. */
    private String firstFailure;
    private boolean opening = true;

    private VhostUserDoor(Path directory) {
        this.directory = directory;
    }

    /**
     * Creates {@code directory} if needed and serves every disk of {@code namespace} there.
     *
     * @throws IOException naming the directory or the disk: the directory cannot be made, is not a
     *     directory, is not writable, or a disk present now cannot be bound there (a disk created
     *     later that cannot be is logged, and the others keep serving)
     */
    public static VhostUserDoor open(Path directory, DiskNamespace namespace) throws IOException {
        if (Files.exists(directory) && !Files.isDirectory(directory)) {
            throw new IOException("the vhost-user socket directory " + directory + " is not a directory");
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new IOException("cannot create the vhost-user socket directory " + directory + ": " + e, e);
        }
        if (!Files.isWritable(directory)) {
            throw new IOException("the vhost-user socket directory " + directory + " is not writable by this process");
        }
        VhostUserDoor door = new VhostUserDoor(directory);
        door.watch = namespace.watch(door);
        String failure;
        synchronized (door) {
            door.opening = false;
            failure = door.firstFailure;
        }
        if (failure != null) {
            door.close();
            throw new IOException(failure);
        }
        return door;
    }

    public Path directory() {
        return directory;
    }

    /** The socket path of disk {@code name}. */
    public Path socketOf(String name) {
        return directory.resolve(name + SUFFIX);
    }

    /** The socket serving {@code disk} now, or null. */
    public synchronized VhostUserSocket socket(ServedDisk disk) {
        return sockets.get(disk.id());
    }

    @Override
    public synchronized void created(ServedDisk disk) {
        if (closed || sockets.containsKey(disk.id())) {
            return;
        }
        try {
            sockets.put(disk.id(), VhostUserSocket.open(disk, socketOf(disk.name())));
        } catch (IOException | RuntimeException e) {
            if (opening && firstFailure == null) {
                firstFailure = "vhost-user: disk " + disk.name() + " cannot be served on " + socketOf(disk.name()) + ": " + e.getMessage();
            }
            LOG.error("vhost-user: disk {} is not served on {}: {}", disk.name(), socketOf(disk.name()), e.getMessage());
        }
    }

    @Override
    public synchronized void renamed(ServedDisk disk, String oldName) {
        VhostUserSocket s = sockets.get(disk.id());
        if (s == null) {
            created(disk);
            return;
        }
        try {
            s.moveTo(socketOf(disk.name()));
        } catch (IOException e) {
            LOG.error("vhost-user: socket of {} not renamed to {}: {}", oldName, disk.name(), e.getMessage());
        }
    }

    @Override
    public void removed(ServedDisk disk, String name) {
        VhostUserSocket s;
        synchronized (this) {
            s = sockets.remove(disk.id());
        }
        if (s != null) {
            s.close();
        }
    }

    @Override
    public synchronized void attributesChanged(ServedDisk disk) {
        VhostUserSocket s = sockets.get(disk.id());
        if (s != null) {
            s.applyAttributes();
        }
    }

    @Override
    public void resized(ServedDisk disk) {
        VhostUserSocket s;
        synchronized (this) {
            s = sockets.get(disk.id());
        }
        // GET_CONFIG reads the capacity from the disk, so qemu sees the new size when it asks;
        // the backend channel makes it ask now and interrupt the guest (virtio config change).
        if (s != null && !s.configChanged()) {
            LOG.info("vhost-user {}: resized; no front end with a backend channel is connected to tell", disk.name());
        }
    }

    /** Stops following the namespace and closes every socket (connected guests are disconnected). */
    @Override
    public void close() {
        List<VhostUserSocket> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(sockets.values());
            sockets.clear();
        }
        try {
            if (watch != null) {
                watch.close();
            }
        } catch (Exception e) {
            LOG.warn("vhost-user: stopping the namespace watch: {}", e.getMessage());
        }
        all.forEach(VhostUserSocket::close);
    }
}

package io.ramdiskfs;

import java.nio.file.Path;
import java.util.List;

/**
 * The embedded API: mount a directory of RAM disks from Java.
 *
 * <pre>{@code
 * try (RamDiskFs fs = RamDiskFs.mount(dir, DiskDefinition.ram("disk0", 1L << 30))) {
 *     // dir/disk0 is a 1 GiB file backed by RAM
 * }
 * }</pre>
 *
 * {@link #mount} returns once the kernel serves the mount (checked in /proc/self/mountinfo, not
 * after a fixed wait); {@link #close} unmounts and frees every disk.
 */
public final class RamDiskFs implements AutoCloseable {
    private RamDiskFs() {}

    public static RamDiskFs mount(Path mountPoint, DiskDefinition... disks) throws MountException {
        return mount(MountOptions.of(mountPoint, List.of(disks)));
    }

    public static RamDiskFs mount(MountOptions options) throws MountException {
        throw new UnsupportedOperationException("not yet");
    }

    public Path mountPoint() {
        throw new UnsupportedOperationException("not yet");
    }

    /** Blocks until the mount goes away (closed here, or {@code fusermount -u} from outside). */
    public void awaitUnmounted() throws InterruptedException {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Detaches the mount lazily ({@code fusermount -uz}): it disappears from the namespace now
     * and the disks are freed once the last user (a loop device, an open file) lets go.
     */
    public void unmountLazily() throws MountException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Unmounts; fails with a message when the kernel refuses because the mount is busy. */
    @Override
    public void close() throws MountException {
        throw new UnsupportedOperationException("not yet");
    }
}

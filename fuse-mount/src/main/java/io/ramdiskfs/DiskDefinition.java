package io.ramdiskfs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What one disk of a mount is: a RAM disk of a given size, or a RAM layer over a read-only raw
 * image ({@code memdiff:}) that takes the image's size.
 *
 * @param name      the file name under the mount point
 * @param sizeBytes the size of a RAM disk; ignored (0) for a memdiff disk
 * @param image     the raw image under a memdiff disk, or null for a plain RAM disk
 * @param readOnly  writes, truncates and fallocates fail with EROFS
 * @param passthrough a plain RAM disk whose bytes live in a tmpfs file the kernel reads and
 *                  writes directly (FUSE passthrough); no snapshots while it is open
 */
public record DiskDefinition(String name, long sizeBytes, Path image, boolean readOnly, boolean passthrough) {
    public DiskDefinition {
        Objects.requireNonNull(name, "name");
        DiskNames.check(name);
        if (image == null && sizeBytes < 0) {
            throw new IllegalArgumentException("disk " + name + ": size " + sizeBytes + " is negative");
        }
        if (image != null && passthrough) {
            throw new IllegalArgumentException("disk " + name + ": passthrough needs a plain RAM disk, not a RAM layer over an image");
        }
    }

    public DiskDefinition(String name, long sizeBytes, Path image, boolean readOnly) {
        this(name, sizeBytes, image, readOnly, false);
    }

    /** A RAM disk of {@code sizeBytes}. */
    public static DiskDefinition ram(String name, long sizeBytes) {
        return new DiskDefinition(name, sizeBytes, null, false);
    }

    /** A RAM layer over {@code image}; writes land in RAM, the image is never written. */
    public static DiskDefinition memdiff(String name, Path image) {
        return new DiskDefinition(name, 0, Objects.requireNonNull(image, "image"), false);
    }

    /** The same disk, read-only. */
    public DiskDefinition asReadOnly() {
        return new DiskDefinition(name, sizeBytes, image, true, passthrough);
    }

    /** The same disk, served by FUSE passthrough where the kernel and the process allow it. */
    public DiskDefinition asPassthrough() {
        return new DiskDefinition(name, sizeBytes, image, readOnly, true);
    }

    public boolean isMemdiff() {
        return image != null;
    }
}

package io.ramdiskfs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What one disk of a mount is: a RAM disk of a given size, or a disk built over a raw image (a
 * file or a block device) in one of the {@link Role}s.
 *
 * @param name         the file name under the mount point
 * @param sizeBytes    the size of a RAM disk, and of a {@code persist:} disk whose image does not
 *                     exist yet; 0 otherwise (the image gives the size)
 * @param image        the raw image, or null for a plain RAM disk
 * @param readOnly     writes, truncates and fallocates fail with EROFS
 * @param role         what the image is to the disk
 * @param saveInterval how often a {@code persist:} disk is saved besides at a clean stop; null: never
 * @param passthrough  a plain RAM disk whose bytes live in a tmpfs file the kernel reads and
 *                     writes directly (FUSE passthrough); no snapshots while it is open
 */
public record DiskDefinition(String name, long sizeBytes, Path image, boolean readOnly, Role role, Duration saveInterval,
        boolean passthrough) {
    /** What the image is to the disk (SPEC section 7). */
    public enum Role {
        /** No image: RAM only. */
        RAM,
        /** A RAM layer over a read-only image; the image is never written. */
        MEMDIFF,
        /** A RAM disk filled from the image at start; independent of it afterwards. */
        LOAD,
        /** Loaded at start (or empty of {@code sizeBytes} when missing), saved back on every clean stop. */
        PERSIST,
        /** A RAM layer over a read-only image that also keeps what reads fetch from it. */
        CACHE,
        /** Writes go to RAM and to the image (opened read-write); RAM also caches reads. */
        WRITETHROUGH;

        /** The {@code --disk} prefix: {@code memdiff:}, {@code persist:}... */
        public String prefix() {
            return name().toLowerCase(java.util.Locale.ROOT) + ":";
        }
    }

    public DiskDefinition {
        Objects.requireNonNull(name, "name");
        DiskNames.check(name);
        if (role == null) {
            role = image == null ? Role.RAM : Role.MEMDIFF;
        }
        if ((image == null) != (role == Role.RAM)) {
            throw new IllegalArgumentException("disk " + name + ": a " + role + " disk " + (image == null ? "needs" : "takes no") + " image");
        }
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("disk " + name + ": size " + sizeBytes + " is negative");
        }
        if (saveInterval != null && (role != Role.PERSIST || saveInterval.isNegative() || saveInterval.isZero())) {
            throw new IllegalArgumentException("disk " + name + ": a save interval needs a persist disk and a positive duration");
        }
        if (image != null && passthrough) {
            throw new IllegalArgumentException("disk " + name + ": passthrough needs a plain RAM disk, not a disk over an image");
        }
    }

    public DiskDefinition(String name, long sizeBytes, Path image, boolean readOnly) {
        this(name, sizeBytes, image, readOnly, null, null, false);
    }

    /** A RAM disk of {@code sizeBytes}. */
    public static DiskDefinition ram(String name, long sizeBytes) {
        return new DiskDefinition(name, sizeBytes, null, false);
    }

    /** A RAM layer over {@code image}; writes land in RAM, the image is never written. */
    public static DiskDefinition memdiff(String name, Path image) {
        return new DiskDefinition(name, 0, Objects.requireNonNull(image, "image"), false);
    }

    /** A disk of role {@code role} over {@code image}; {@code sizeBytes} only matters for a persist disk. */
    public static DiskDefinition of(Role role, String name, Path image, long sizeBytes) {
        return new DiskDefinition(name, sizeBytes, Objects.requireNonNull(image, "image"), false, role, null, false);
    }

    /** The same disk, read-only. */
    public DiskDefinition asReadOnly() {
        return new DiskDefinition(name, sizeBytes, image, true, role, saveInterval, passthrough);
    }

    /** The same disk, served by FUSE passthrough where the kernel and the process allow it. */
    public DiskDefinition asPassthrough() {
        return new DiskDefinition(name, sizeBytes, image, readOnly, role, saveInterval, true);
    }

    /** The same persist disk, also saved every {@code interval}. */
    public DiskDefinition withSaveInterval(Duration interval) {
        return new DiskDefinition(name, sizeBytes, image, readOnly, role, interval, passthrough);
    }

    public boolean isMemdiff() {
        return role == Role.MEMDIFF;
    }

    /** True when the image stays under the disk as its bottom layer (memdiff, cache, write-through). */
    public boolean imageBelow() {
        return role == Role.MEMDIFF || role == Role.CACHE || role == Role.WRITETHROUGH;
    }
}

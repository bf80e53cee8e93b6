package io.ramdiskfs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a mount needs, validated on construction.
 *
 * @param mountPoint  an existing directory
 * @param disks       the disks, with distinct names
 * @param sectorSize  512 or 4096 (any power of two in [512, 65536] is accepted)
 * @param memoryLimit bytes of data memory shared by every RAM layer
 * @param readOnly    every disk read-only; no disk can be created
 * @param allowOther  let other users reach the mount ({@code -o allow_other})
 * @param xattrs      answer {@code getxattr} with the {@code user.ramdiskfs.*} attributes. The
 *                    kernel then asks for {@code security.capability} before every write, one
 *                    more round trip per buffered write when the page cache is on; without it, it
 *                    asks once and never again.
 * @param pageCache   serve the disks through the kernel's page cache instead of {@code direct_io}.
 *                    Off by default: the data already lives in RAM, a second copy in the page
 *                    cache doubles the memory a disk costs, and the cached write path is slower
 *                    (a copy into the cache plus a {@code security.capability} lookup per write,
 *                    and one writer at a time). On, shared writable {@code mmap} works.
 * @param passthrough every plain RAM disk, also those created later, is a passthrough disk
 *                    ({@link DiskDefinition#passthrough()})
 * @param hugePages   passthrough disks keep their bytes in 2 MiB pages (the private tmpfs's
 *                    {@code huge=within_size}): random and 1 MiB I/O on a written disk faster
 *                    (docs/performance.md, section 10), memory taken in 2 MiB units
 * @param vhostUser   where every disk NAME is also served as a vhost-user-blk device, on
 *                    {@code vhostUser/NAME.sock} (SPEC section 9; {@code --vhost-user DIR}); null: not served
 */
public record MountOptions(Path mountPoint, List<DiskDefinition> disks, int sectorSize, long memoryLimit,
        boolean readOnly, boolean allowOther, boolean xattrs, boolean pageCache, boolean passthrough, boolean hugePages,
        Path vhostUser) {
    public static final int DEFAULT_SECTOR_SIZE = 512;

    public MountOptions {
        Objects.requireNonNull(mountPoint, "mountPoint");
        disks = List.copyOf(disks);
        Set<String> names = new HashSet<>();
        for (DiskDefinition d : disks) {
            if (!names.add(d.name())) {
                throw new IllegalArgumentException("disk name '" + d.name() + "' is given twice");
            }
        }
        if (!io.ramdiskfs.disk.SectorRange.isValidSectorSize(sectorSize)) {
            throw new IllegalArgumentException("sector size " + sectorSize + " is not a power of two in [512, 65536]");
        }
        if (memoryLimit < 0) {
            throw new IllegalArgumentException("memory limit " + memoryLimit + " is negative");
        }
        if (hugePages && !passthrough && disks.stream().noneMatch(DiskDefinition::passthrough)) {
            throw new IllegalArgumentException("huge pages are for passthrough disks: add --passthrough, or ,passthrough to a disk");
        }
    }

    public MountOptions(Path mountPoint, List<DiskDefinition> disks, int sectorSize, long memoryLimit,
            boolean readOnly, boolean allowOther, boolean xattrs, boolean pageCache, boolean passthrough, boolean hugePages) {
        this(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, hugePages, null);
    }

    public MountOptions(Path mountPoint, List<DiskDefinition> disks, int sectorSize, long memoryLimit,
            boolean readOnly, boolean allowOther, boolean xattrs, boolean pageCache, boolean passthrough) {
        this(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, false);
    }

    public MountOptions(Path mountPoint, List<DiskDefinition> disks, int sectorSize, long memoryLimit,
            boolean readOnly, boolean allowOther) {
        this(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, true, false, false);
    }

    public MountOptions(Path mountPoint, List<DiskDefinition> disks, int sectorSize, long memoryLimit,
            boolean readOnly, boolean allowOther, boolean xattrs, boolean pageCache) {
        this(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, false);
    }

    /** True when some disk, or every plain one, is to be a passthrough disk. */
    public boolean wantsPassthrough() {
        return passthrough || disks.stream().anyMatch(DiskDefinition::passthrough);
    }

    /** Half of the machine's physical memory: the default budget. */
    public static long defaultMemoryLimit() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize() / 2;
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Options with defaults: 512-byte sectors, half the RAM, writable, no allow_other. */
    public static MountOptions of(Path mountPoint, List<DiskDefinition> disks) {
        return new MountOptions(mountPoint, disks, DEFAULT_SECTOR_SIZE, defaultMemoryLimit(), false, false, true, false, false);
    }

    public MountOptions withSectorSize(int n) {
        return new MountOptions(mountPoint, disks, n, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withMemoryLimit(long bytes) {
        return new MountOptions(mountPoint, disks, sectorSize, bytes, readOnly, allowOther, xattrs, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withReadOnly(boolean ro) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, ro, allowOther, xattrs, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withAllowOther(boolean allow) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allow, xattrs, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withDisk(DiskDefinition disk) {
        List<DiskDefinition> more = new ArrayList<>(disks);
        more.add(disk);
        return new MountOptions(mountPoint, more, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withXattrs(boolean on) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, on, pageCache, passthrough, hugePages, vhostUser);
    }

    public MountOptions withPassthrough(boolean on) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, on, hugePages, vhostUser);
    }

    public MountOptions withHugePages(boolean on) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, on, vhostUser);
    }

    public MountOptions withPageCache(boolean on) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, on, passthrough, hugePages, vhostUser);
    }

    /** Also serves every disk as a vhost-user-blk device on {@code dir/NAME.sock}; null: no such door. */
    public MountOptions withVhostUser(Path dir) {
        return new MountOptions(mountPoint, disks, sectorSize, memoryLimit, readOnly, allowOther, xattrs, pageCache, passthrough, hugePages,
                dir == null ? null : dir.toAbsolutePath().normalize());
    }
}

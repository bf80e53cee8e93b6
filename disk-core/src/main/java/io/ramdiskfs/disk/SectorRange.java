package io.ramdiskfs.disk;

/**
 * The one place where sector arithmetic is range-checked. Every check is written so that it
 * cannot overflow, whatever {@code long} values arrive (negative, {@code Long.MAX_VALUE}, a
 * {@code sector + count} that wraps).
 */
public final class SectorRange {
    /** The largest disk the model addresses: 1 PiB. Disks are thin, so this costs nothing. */
    public static final long MAX_DISK_BYTES = 1L << 50;

    private SectorRange() {}

    /** True when {@code [sector, sector + count)} lies within {@code [0, sectorCount)}. */
    public static boolean inRange(long sector, long count, long sectorCount) {
        return sector >= 0 && count >= 0 && sector <= sectorCount && count <= sectorCount - sector;
    }

    /** Throws {@link DiskError#ILLEGAL_BLOCK} unless the range lies within the disk. */
    public static void check(long sector, long count, long sectorCount) throws DiskException {
        if (!inRange(sector, count, sectorCount)) {
            throw DiskException.illegalBlock(sector, count, sectorCount);
        }
    }

    /** The largest sector size: one RAM chunk. */
    public static final int MAX_SECTOR_SIZE = 1 << 16;

    /** True for a power of two of at least 512 and at most {@link #MAX_SECTOR_SIZE}. */
    public static boolean isValidSectorSize(long sectorSize) {
        return sectorSize >= 512 && Long.bitCount(sectorSize) == 1 && sectorSize <= MAX_SECTOR_SIZE;
    }

    /** The largest sector count a disk of this sector size may have. */
    public static long maxSectorCount(int sectorSize) {
        return MAX_DISK_BYTES / sectorSize;
    }
}

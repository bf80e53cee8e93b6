package io.ramdiskfs.status;

import io.ramdiskfs.stats.OpStats;
import java.util.List;

/**
 * One disk as {@code ramdiskfs status} shows it.
 *
 * @param name           the file name under the mount point
 * @param sizeBytes      the disk's size
 * @param committedBytes data memory its layers hold
 * @param zeroBytes      bytes of writes that were zeros and took no memory (a RAM layer's zero state)
 * @param sectorSize     bytes per sector
 * @param readOnly       writes fail with EROFS
 * @param layers         the stack, top first, as {@code user.ramdiskfs.layers} shows it
 * @param snapshots      snapshot names, oldest first; null where the mount does not have them
 * @param reads          reads since the mount
 * @param writes         writes since the mount
 * @param discards       discards (punched holes, zeroed ranges) since the mount
 */
public record DiskStatus(String name, long sizeBytes, long committedBytes, long zeroBytes, int sectorSize, boolean readOnly,
        String layers, List<String> snapshots, OpStats reads, OpStats writes, OpStats discards) {
    public DiskStatus {
        snapshots = snapshots == null ? null : List.copyOf(snapshots);
    }

    public DiskStatus withSnapshots(List<String> names) {
        return new DiskStatus(name, sizeBytes, committedBytes, zeroBytes, sectorSize, readOnly, layers, names, reads, writes, discards);
    }
}

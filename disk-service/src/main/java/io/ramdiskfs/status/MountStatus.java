package io.ramdiskfs.status;

import java.util.List;

/**
 * A mount as {@code ramdiskfs status} and {@code /metrics} show it: the memory budget and every
 * disk. The mount serves it as the JSON value of {@code user.ramdiskfs.status} on its root
 * ({@link StatusJson}), so the command reads it through the mount, with no second channel.
 *
 * @param memoryLimitBytes the budget shared by every RAM layer
 * @param memoryUsedBytes  data memory held now
 * @param mountedAtMillis  when the mount was made (epoch milliseconds): counters start there
 * @param takenAtMillis    when this reading was taken (epoch milliseconds)
 * @param disks            sorted by name
 */
public record MountStatus(long memoryLimitBytes, long memoryUsedBytes, long mountedAtMillis, long takenAtMillis,
        List<DiskStatus> disks) {
    public MountStatus {
        disks = List.copyOf(disks);
    }

    public MountStatus withDisks(List<DiskStatus> d) {
        return new MountStatus(memoryLimitBytes, memoryUsedBytes, mountedAtMillis, takenAtMillis, d);
    }
}

package io.ramdiskfs.fs;

import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the mount reports of itself: memory used (what {@code df} shows) and the status of every
 * disk, for {@code ramdiskfs status}, the metrics endpoint and the status attribute. It only
 * reads: a moment's view, not one instant of the whole mount.
 */
final class MountStatusView {
    private final Namespace namespace;
    private final OpenHandles handles;
    private final Snapshots snapshots;
    private final MemoryBudget budget;
    private final long madeAtMillis = System.currentTimeMillis();

    MountStatusView(Namespace namespace, OpenHandles handles, Snapshots snapshots, MemoryBudget budget) {
        this.namespace = namespace;
        this.handles = handles;
        this.snapshots = snapshots;
        this.budget = budget;
    }

    /**
     * Data memory held by every disk: the RAM layers' budget, plus the files of passthrough disks
     * ({@link BackingFile}), which hold their memory outside it (an unlinked disk still open
     * counts until its last handle closes).
     */
    long memoryUsed() {
        long used = budget.used();
        Set<BackingFile> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<DiskFile> all = new ArrayList<>(namespace.files().values());
        all.addAll(handles.openFiles());
        for (DiskFile f : all) {
            BackingFile b = f.backing();
            if (b != null && seen.add(b)) {
                used += f.disk().committedBytes();
            }
        }
        return used;
    }

    /** Every disk and the budget now, with the I/O since the mount; disks sorted by name. */
    MountStatus status() {
        List<DiskStatus> disks = new ArrayList<>();
        for (var e : new TreeMap<>(namespace.files()).entrySet()) {
            LayeredDisk d = e.getValue().disk();
            var io = e.getValue().io();
            List<String> snaps = snapshots.holding(e.getValue());
            disks.add(new DiskStatus(e.getKey(), d.sizeBytes(), d.committedBytes(), d.zeroBytesWritten(), d.sectorSize(), d.isReadOnly(),
                    describeLayers(d), snaps, io.reads().snapshot(), io.writes().snapshot(), io.discards().snapshot()));
        }
        return new MountStatus(budget.limit(), memoryUsed(), madeAtMillis, System.currentTimeMillis(), disks);
    }

    /** The layers of {@code d}, top first: {@code ram(top) over file:IMAGE}. */
    static String describeLayers(LayeredDisk d) {
        StringBuilder sb = new StringBuilder();
        List<LayerIo> layers = d.layers();
        for (int i = 0; i < layers.size(); i++) {
            LayerIo l = layers.get(i);
            if (sb.length() > 0) {
                sb.append(" over ");
            }
            sb.append(l.kind()).append(d.roleOf(i));
            if (!"ram".equals(l.kind())) {
                sb.append(':').append(l.description());
            }
        }
        return sb.toString();
    }
}

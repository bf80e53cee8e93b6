package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps chains short: a frozen layer that exactly the chains using the layer above it use (so no
 * snapshot or disk reads it on its own) is merged into that layer, in every chain at once, with
 * their gates closed. Depth is then bounded by the number of distinct sharing sets, never by the
 * history of snapshots.
 */
final class LayerMerging {
    private static final Logger log = LoggerFactory.getLogger(LayerMerging.class);

    private LayerMerging() {}

    /**
     * Merges, in every open disk and snapshot, frozen layers that no chain uses on their own into
     * the layer above them. Called after every release; cheap when there is nothing to merge.
     */
    static void mergeEverywhere() {
        synchronized (LayeredDisk.CHANGES) {
            boolean merged;
            do {
                merged = false;
                for (LayeredDisk d : LayeredDisk.CHAINED) {
                    int i = d.closed ? -1 : d.chain.mergeable();
                    if (i > 0 && merge(d.chain.links[i - 1], d.chain.links[i])) {
                        merged = true;
                        break;
                    }
                }
            } while (merged);
            LayeredDisk.CHAINED.removeIf(d -> d.chain.depth() == 1);
        }
    }

    /**
     * Merges {@code lower} into {@code upper} in every chain that holds them, with the gates of
     * all those disks closed (in id order). False when the layers' users do not add up (then the
     * chains are left as they are).
     */
    private static boolean merge(SharedLayer upper, SharedLayer lower) {
        List<LayeredDisk> users = new ArrayList<>();
        for (LayeredDisk d : LayeredDisk.CHAINED) {
            if (!d.closed && d.chain.indexOf(upper) >= 0) {
                users.add(d);
            }
        }
        if (users.size() != upper.users()) {
            log.warn("layer {} has {} users but {} open chains hold it; not merging", upper.layer, upper.users(), users.size());
            return false;
        }
        users.sort(Comparator.comparingLong(LayeredDisk::id));
        for (LayeredDisk d : users) {
            d.gate.close();
        }
        try {
            ((RamLayer) upper.layer).absorb((RamLayer) lower.layer, Long.MAX_VALUE); // needs no memory: never refused
            for (LayeredDisk d : users) {
                d.chain = d.chain.withoutLayer(d.chain.indexOf(lower));
            }
        } finally {
            for (LayeredDisk d : users) {
                d.gate.open();
            }
        }
        for (int i = 0; i < users.size(); i++) {
            lower.release();
        }
        return true;
    }

}

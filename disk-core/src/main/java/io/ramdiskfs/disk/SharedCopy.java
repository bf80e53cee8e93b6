package io.ramdiskfs.disk;

import io.ramdiskfs.disk.ram.RamLayer;

/**
 * Copies between disks that cost no data: a range copied at equal offsets into a disk that holds
 * nothing, or that already shares the layers the source reads the range from, becomes a matter of
 * letting the destination's live layer show those layers there. This is how {@code cp} of a disk
 * ({@code copy_file_range}, whole or one call per data extent) ends up a clone.
 */
final class SharedCopy {
    private SharedCopy() {}

    /**
     * Copies sectors {@code [sector, sector + count)} of {@code src} to the same sectors of
     * {@code dst} without copying data, when the two can share layers: {@code dst} is blank (a
     * fresh disk, holding nothing), or already shares every layer under its top with what
     * {@code src} shows in the range. A blank {@code dst} is first rebased onto {@code src}'s
     * frozen chain (a writable {@code src} freezes its top, as for a snapshot). Afterwards
     * {@code dst} reads the range as {@code src} did at this instant, grows to cover it if it
     * was smaller, and reads everything else as before.
     *
     * <p>This is how {@code cp} of a whole disk, which arrives as one {@code copy_file_range} or
     * one per data extent, ends up a clone that copied nothing.
     *
     * @return false when they cannot share; nothing has changed then, and the caller copies
     */
    static boolean shareRange(LayeredDisk src, LayeredDisk dst, long sector, long count) throws DiskException {
        if (src == dst || count <= 0 || sector < 0 || dst.readOnly || src.sectorSize != dst.sectorSize) {
            return false;
        }
        synchronized (LayeredDisk.CHANGES) {
            if (src.closed || dst.closed || !dst.chain.isSnapshottable()
                    || !(src.chain.layers[0] instanceof RamLayer) || (!src.readOnly && !src.chain.isSnapshottable())
                    || sector > src.sectorCount() - count) {
                return false;
            }
            if (!matchesBelowTop(dst, sharedPart(src, sector, count))) {
                if (!blank(dst)) {
                    return false;
                }
                rebase(src, dst);
                if (!matchesBelowTop(dst, sharedPart(src, sector, count))) {
                    return false;
                }
            }
            RamLayer top = (RamLayer) dst.chain.layers[0];
            dst.gate.close();
            try {
                DiskChain c = dst.chain;
                long end = sector + count;
                if (top.sectorCount() < end) {
                    top.resize(end);
                }
                top.shareFromBelow(sector, end, (s, e) -> holdsBelowTop(c, s, e) ? 1 : 0);
                // A new chain, so that the layers below show up to the new size (see DiskChain.visible).
                dst.chain = DiskChain.plain(false, c.retainAll());
                c.releaseAll();
            } finally {
                dst.gate.open();
            }
            LayeredDisk.CHAINED.add(dst);
            return true;
        }
    }

    /**
     * The links {@code src} reads the range from, below any layer of its own that may change:
     * a writable disk's chain under its top (when the top holds none of the range), a read-only
     * disk's whole chain. Null when a writable top holds some of the range.
     */
    private static SharedLayer[] sharedPart(LayeredDisk src, long sector, long count) {
        DiskChain c = src.chain;
        if (src.readOnly) {
            return c.links;
        }
        if (c.layers[0].holdsAny(sector, count)) {
            return null;
        }
        return java.util.Arrays.copyOfRange(c.links, 1, c.links.length);
    }

    private static boolean matchesBelowTop(LayeredDisk dst, SharedLayer[] shared) {
        SharedLayer[] mine = dst.chain.links;
        if (shared == null || mine.length != shared.length + 1 || shared.length == 0) {
            return false;
        }
        for (int i = 0; i < shared.length; i++) {
            if (mine[i + 1] != shared[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean blank(LayeredDisk d) {
        return d.chain.depth() == 1 && d.chain.layers[0] instanceof RamLayer r && r.isBlank();
    }

    /** {@code dst} (blank) becomes an empty RAM layer of its own size over {@code src}'s frozen chain. */
    private static void rebase(LayeredDisk src, LayeredDisk dst) {
        DiskChain frozen;
        if (src.readOnly) {
            frozen = DiskChain.plain(true, src.chain.retainAll());
        } else {
            src.gate.close();
            try {
                frozen = src.freezeTop();
            } finally {
                src.gate.open();
            }
        }
        dst.gate.close();
        DiskChain old = dst.chain;
        try {
            RamLayer blank = (RamLayer) old.layers[0];
            RamLayer top = blank.emptyCopy(blank.sectorCount());
            // Zero-after at 0: the disk reads zeros everywhere, as before, until a range is shared.
            top.resize(0);
            top.resize(blank.sectorCount());
            dst.chain = DiskChain.plain(false, frozen.under(new SharedLayer(top)));
        } catch (DiskException e) {
            throw new IllegalStateException("a fresh RAM layer refused a change", e);
        } finally {
            dst.gate.open();
        }
        old.releaseAll();
        LayeredDisk.CHAINED.add(dst);
    }

    /** May a layer under the top of {@code c} hold any of sectors {@code [s, e)}? */
    private static boolean holdsBelowTop(DiskChain c, long s, long e) {
        // Not clipped at the chain's visible counts: the chain is rebuilt with larger ones
        // afterwards, and a "yes" only costs a zero mark.
        for (int i = 1; i < c.layers.length; i++) {
            if (c.layers[i].holdsAny(s, e - s)) {
                return true;
            }
        }
        return false;
    }

}

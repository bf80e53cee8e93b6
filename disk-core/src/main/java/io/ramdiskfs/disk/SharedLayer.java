package io.ramdiskfs.disk;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A layer with the number of chains that use it. Frozen layers are shared by reference between a
 * disk, its snapshots and its clones; the layer is closed, and its memory returned, when the last
 * chain lets go. A layer used by one chain only is private to it, which is what allows
 * {@link DiskChain} to merge it into the layer above.
 */
final class SharedLayer {
    final LayerIo layer;
    private final AtomicInteger users = new AtomicInteger(1);

    SharedLayer(LayerIo layer) {
        this.layer = layer;
    }

    SharedLayer retain() {
        int before = users.getAndIncrement();
        if (before <= 0) {
            users.getAndDecrement();
            throw new IllegalStateException("layer " + layer + " is closed already");
        }
        return this;
    }

    void release() {
        int left = users.decrementAndGet();
        if (left == 0) {
            layer.close();
        } else if (left < 0) {
            throw new IllegalStateException("layer " + layer + " released once too often");
        }
    }

    /** True when exactly one chain uses the layer. */
    boolean isPrivate() {
        return users.get() == 1;
    }

    int users() {
        return users.get();
    }
}

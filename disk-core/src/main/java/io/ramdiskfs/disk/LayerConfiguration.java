package io.ramdiskfs.disk;

import java.util.Objects;

/**
 * One entry of a layer stack.
 *
 * @param layer        the layer, or a source that builds it over the layer beneath
 * @param writeThrough writes to this layer also go to the next one down
 * @param readCache    sectors read from below this layer are written into it, never overwriting
 */
public record LayerConfiguration(LayerSource layer, boolean writeThrough, boolean readCache) {
    public LayerConfiguration {
        Objects.requireNonNull(layer, "layer");
    }

    /** A plain layer: neither write-through nor read cache. */
    public static LayerConfiguration of(LayerSource layer) {
        return new LayerConfiguration(layer, false, false);
    }
}

package io.ramdiskfs.disk.image;

import java.util.concurrent.atomic.LongAdder;

/**
 * The data bytes every load and save of this process has moved so far: a heartbeat for whoever
 * watches a long start or stop from outside (systemd's {@code EXTEND_TIMEOUT_USEC}), which must
 * tell a large image that is still moving from one that is stuck. Added to once per piece (1 MiB),
 * never per request.
 */
public final class ImageTraffic {
    private static final LongAdder MOVED = new LongAdder();

    private ImageTraffic() {}

    static void moved(long bytes) {
        MOVED.add(bytes);
    }

    /** Bytes loaded or saved since the process started; grows while any image moves. */
    public static long total() {
        return MOVED.sum();
    }
}

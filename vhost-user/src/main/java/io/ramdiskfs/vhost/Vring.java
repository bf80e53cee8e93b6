package io.ramdiskfs.vhost;

import io.ramdiskfs.vhost.os.Os;

/**
 * What the front end told the control thread about one virtqueue (SET_VRING_*), and its worker
 * while it runs. Only the control thread touches it.
 */
final class Vring {
    final int index;
    int size;
    long descQva;
    long availQva;
    long usedQva;
    boolean addressed;
    int base;
    int kick = -1;
    int call = -1;
    int err = -1;
    /** The last SET_VRING_ENABLE: a ring starts disabled when protocol features were negotiated. */
    boolean enableSeen;
    boolean enabled;
    QueueWorker worker;

    Vring(int index) {
        this.index = index;
    }

    /** Replaces one of the ring's descriptors, closing the one it held. */
    static int replace(int old, int fresh) {
        Os.closeQuietly(old);
        return fresh;
    }

    void closeFds() {
        kick = replace(kick, -1);
        call = replace(call, -1);
        err = replace(err, -1);
    }
}

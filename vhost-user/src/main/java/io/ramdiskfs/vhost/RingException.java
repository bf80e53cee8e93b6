package io.ramdiskfs.vhost;

/**
 * A virtqueue that cannot be parsed (its avail index ran ahead by more than the ring holds, a head
 * out of range, rings outside guest memory). The queue is stopped; the guest's other queues and
 * every other disk keep serving.
 */
public final class RingException extends Exception {
    public RingException(String message) {
        super(message);
    }
}

package io.ramdiskfs.vhost;

/** A front-end message this back-end cannot accept: the connection is dropped (qemu may reconnect). */
final class ProtocolException extends Exception {
    ProtocolException(String message) {
        super(message);
    }
}

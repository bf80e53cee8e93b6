package io.ramdiskfs.service;

import io.ramdiskfs.fuse.jnr.NotifySocket;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}) for a {@code Type=notify} unit: datagrams
 * such as {@code READY=1}, {@code STATUS=...}, {@code STOPPING=1} to the socket in
 * {@code $NOTIFY_SOCKET}. Without that variable (not under systemd) every call does nothing. A
 * failure to notify is logged, never thrown: the mount works either way.
 */
public final class SdNotify {
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);
    private final String socket;
    /** Sends one datagram (socket, message); {@link NotifySocket#send} but in tests. */
    private final BiConsumer<String, String> transport;

    private SdNotify(String socket, BiConsumer<String, String> transport) {
        this.socket = socket;
        this.transport = transport;
    }

    /** The notifier of this process's environment. */
    public static SdNotify fromEnvironment() {
        return of(System.getenv("NOTIFY_SOCKET"));
    }

    /** @param socket the socket's path or {@code @abstract} name; null or empty: notify nobody */
    public static SdNotify of(String socket) {
        return over(socket, NotifySocket::send);
    }

    /** A notifier that hands each message to {@code transport} instead of a socket (tests). */
    static SdNotify over(String socket, BiConsumer<String, String> transport) {
        return new SdNotify(socket == null || socket.isEmpty() ? null : socket, transport);
    }

    public boolean isActive() {
        return socket != null;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    public void status(String status) {
        send("STATUS=" + oneLine(status));
    }

    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /**
     * Asks for {@code more} time before the start or stop must complete ({@code EXTEND_TIMEOUT_USEC},
     * systemd 236+): the unit's timeouts stay short for a stuck process, while one that is still
     * loading or saving a large image asks again before each extension runs out.
     */
    public void extendTimeout(Duration more, String status) {
        send("EXTEND_TIMEOUT_USEC=" + more.toNanos() / 1_000 + "\nSTATUS=" + oneLine(status));
    }

    private void send(String message) {
        if (socket == null) {
            return;
        }
        try {
            transport.accept(socket, message);
            log.debug("notified {}: {}", socket, message.replace('\n', ' '));
        } catch (RuntimeException | LinkageError e) {
            log.warn("could not notify systemd at {}: {}", socket, e.getMessage());
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }
}

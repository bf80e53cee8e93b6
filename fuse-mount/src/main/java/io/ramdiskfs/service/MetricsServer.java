package io.ramdiskfs.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ramdiskfs.status.MountStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the mount's figures in Prometheus text, from the JDK's own HTTP server
 * (no dependency; a scrape every few seconds needs nothing more). It binds before the mount is
 * made, so a port in use fails the start instead of a mount without metrics; until the mount is
 * live it answers 503. One daemon thread serves scrapes, off the I/O path: a scrape reads the
 * counters, it never stops a request.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    private final HttpServer server;
    private volatile Supplier<MountStatus> status;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Binds {@code address} and starts serving (503 until {@link #serve}). */
    public static MetricsServer listen(InetSocketAddress address) throws IOException {
        HttpServer s = HttpServer.create(address, 16);
        MetricsServer m = new MetricsServer(s);
        s.createContext("/metrics", m::metrics);
        s.createContext("/", m::other);
        s.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ramdiskfs-metrics");
            t.setDaemon(true);
            return t;
        }));
        s.start();
        return m;
    }

    /** Where it listens (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** From now on {@code /metrics} answers with {@code source}'s figures. */
    public void serve(Supplier<MountStatus> source) {
        this.status = source;
    }

    private void metrics(HttpExchange x) throws IOException {
        try (x) {
            if (!"GET".equals(x.getRequestMethod()) && !"HEAD".equals(x.getRequestMethod())) {
                send(x, 405, "only GET\n", "text/plain; charset=utf-8");
                return;
            }
            Supplier<MountStatus> s = status;
            if (s == null) {
                send(x, 503, "not mounted yet\n", "text/plain; charset=utf-8");
                return;
            }
            String body;
            try {
                body = PrometheusText.render(s.get());
            } catch (RuntimeException e) {
                log.warn("metrics: reading the mount's figures failed: {}", e.toString());
                send(x, 500, "reading the figures failed: " + e + "\n", "text/plain; charset=utf-8");
                return;
            }
            send(x, 200, body, PrometheusText.CONTENT_TYPE);
        }
    }

    private void other(HttpExchange x) throws IOException {
        try (x) {
            send(x, 404, "ramdiskfs serves /metrics\n", "text/plain; charset=utf-8");
        }
    }

    private static void send(HttpExchange x, int code, String body, String type) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(x.getRequestMethod());
        x.sendResponseHeaders(code, head ? -1 : b.length);
        if (!head) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        if (server.getExecutor() instanceof java.util.concurrent.ExecutorService e) {
            e.shutdownNow();
        }
    }
}

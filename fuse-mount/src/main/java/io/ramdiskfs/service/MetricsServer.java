package io.ramdiskfs.service;

import io.ramdiskfs.status.MountStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the mount's figures in Prometheus text, over HTTP/1.1 with one request
 * per connection (a scrape every few seconds needs nothing more). It binds before the mount is
 * made, so a port in use fails the start instead of a mount without metrics; until the mount is
 * live it answers 503. Scrapes are served off the I/O path: a scrape reads the counters, it never
 * stops a request.
 *
 * <p>A client cannot hold it for the others: each connection has {@link #REQUEST_MILLIS} to send
 * its request (all of it, not per read: a byte a second does not keep it open), and {@link #THREADS}
 * connections are served at once; one past that is closed at once (a scraper retries at its next
 * scrape), so that many slow clients cost at most {@link #THREADS} threads for {@link #REQUEST_MILLIS}.
 * (The JDK's HttpServer, used before, read requests on its one executor thread with no time
 * limit: one client sending half a request blocked {@code /metrics} for everyone.)
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    /** Connections served at once; a thread each, made when needed and gone after 30 s idle. */
    static final int THREADS = 16;
    static final long REQUEST_MILLIS = 2000;
    /** A request line and headers larger than this are refused (431): a scraper sends a few hundred bytes. */
    static final int MAX_REQUEST_BYTES = 8192;
    private static final String TEXT = "text/plain; charset=utf-8";

    private final ServerSocket socket;
    private final ThreadPoolExecutor workers;
    private final Thread acceptor;
    private volatile Supplier<MountStatus> status;

    private MetricsServer(ServerSocket socket) {
        this.socket = socket;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "ramdiskfs-metrics-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        workers.allowCoreThreadTimeOut(true);
        this.acceptor = new Thread(this::accept, "ramdiskfs-metrics");
        acceptor.setDaemon(true);
    }

    /** Binds {@code address} and starts serving (503 until {@link #serve}). */
    public static MetricsServer listen(InetSocketAddress address) throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(address, 64);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        MetricsServer m = new MetricsServer(s);
        m.acceptor.start();
        return m;
    }

    /** Where it listens (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** From now on {@code /metrics} answers with {@code source}'s figures. */
    public void serve(Supplier<MountStatus> source) {
        this.status = source;
    }

    private void accept() {
        while (!socket.isClosed()) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    log.warn("metrics: accept failed: {}", e.toString());
                }
                continue;
            }
            try {
                workers.execute(() -> serveConnection(c));
            } catch (RejectedExecutionException e) {
                closeQuietly(c); // every worker busy: this one tries again at its next scrape, by then they are cut
            }
        }
    }

    private void serveConnection(Socket c) {
        try (c) {
            c.setSoTimeout((int) REQUEST_MILLIS);
            String request = readRequest(c.getInputStream(), System.nanoTime() + REQUEST_MILLIS * 1_000_000);
            OutputStream out = c.getOutputStream();
            if (request == null) {
                send(out, false, 431, "request too large\n", TEXT);
                return;
            }
            String[] line = request.substring(0, request.indexOf('\r')).split(" ");
            if (line.length != 3 || !line[2].startsWith("HTTP/")) {
                send(out, false, 400, "bad request line\n", TEXT);
                return;
            }
            answer(out, line[0], line[1]);
        } catch (SocketTimeoutException e) {
            log.debug("metrics: a client did not send its request within {} ms", REQUEST_MILLIS);
        } catch (SocketException e) {
            log.debug("metrics: {}", e.toString());
        } catch (IOException | RuntimeException e) {
            log.warn("metrics: {}", e.toString());
        }
    }

    private void answer(OutputStream out, String method, String target) throws IOException {
        boolean head = method.equals("HEAD");
        String path = target.indexOf('?') >= 0 ? target.substring(0, target.indexOf('?')) : target;
        if (!path.equals("/metrics")) {
            send(out, head, 404, "ramdiskfs serves /metrics\n", TEXT);
            return;
        }
        if (!method.equals("GET") && !head) {
            send(out, false, 405, "only GET\n", TEXT);
            return;
        }
        Supplier<MountStatus> s = status;
        if (s == null) {
            send(out, head, 503, "not mounted yet\n", TEXT);
            return;
        }
        String body;
        try {
            body = PrometheusText.render(s.get());
        } catch (RuntimeException e) {
            log.warn("metrics: reading the mount's figures failed: {}", e.toString());
            send(out, head, 500, "reading the figures failed: " + e + "\n", TEXT);
            return;
        }
        send(out, head, 200, body, PrometheusText.CONTENT_TYPE);
    }

    /**
     * The request line and headers, up to the blank line; null when they pass {@link
     * #MAX_REQUEST_BYTES}. SocketTimeoutException once {@code deadline} (System.nanoTime) passes.
     */
    static String readRequest(InputStream in, long deadline) throws IOException {
        byte[] buf = new byte[MAX_REQUEST_BYTES];
        int len = 0;
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new SocketTimeoutException("request not complete in time");
            }
            if (len == buf.length) {
                return null;
            }
            int n = in.read(buf, len, buf.length - len);
            if (n < 0) {
                throw new SocketException("the client closed the connection before the end of its request");
            }
            for (int i = Math.max(0, len - 3); i + 3 < len + n; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return new String(buf, 0, i + 2, StandardCharsets.ISO_8859_1);
                }
            }
            len += n;
        }
    }

    private static void send(OutputStream out, boolean head, int code, String body, String type) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String header = "HTTP/1.1 " + code + " " + reason(code) + "\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n";
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(b);
        }
        out.flush();
    }

    private static String reason(int code) {
        return switch (code) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Internal Server Error";
        };
    }

    private static void closeQuietly(Socket c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to tell
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("metrics: closing the socket: {}", e.toString());
        }
        workers.shutdownNow();
    }
}

package io.ramdiskfs.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.status.MountStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MetricsServer}: answers, and no client holds it for the others. */
class MetricsServerTest {
    static HttpResponse<String> get(MetricsServer m, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersMetricsAfterServeAnd503And404() throws Exception {
        try (MetricsServer m = MetricsServer.listen(new InetSocketAddress("127.0.0.1", 0))) {
            assertEquals(503, get(m, "/metrics").statusCode());
            assertEquals(404, get(m, "/other").statusCode());
            m.serve(() -> new MountStatus(1 << 20, 4096, 0, 0, List.of()));
            HttpResponse<String> r = get(m, "/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("ramdiskfs_memory_used_bytes 4096"), r.body());
            assertEquals(PrometheusText.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void clientsHoldingHalfARequestDoNotBlockTheOthers() throws Exception {
        try (MetricsServer m = MetricsServer.listen(new InetSocketAddress("127.0.0.1", 0))) {
            m.serve(() -> new MountStatus(1 << 20, 0, 0, 0, List.of()));
            List<Socket> slow = halfRequests(m, MetricsServer.THREADS / 2);
            try {
                long start = System.nanoTime();
                assertEquals(200, get(m, "/metrics").statusCode());
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis < MetricsServer.REQUEST_MILLIS, "answered after " + millis + " ms: it waited for the slow ones");
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    @Test
    void moreSlowClientsThanThreadsAreCutAtTheDeadlineAndScrapesComeBack() throws Exception {
        try (MetricsServer m = MetricsServer.listen(new InetSocketAddress("127.0.0.1", 0))) {
            m.serve(() -> new MountStatus(1 << 20, 0, 0, 0, List.of()));
            List<Socket> slow = halfRequests(m, MetricsServer.THREADS + 4);
            try {
                long start = System.nanoTime();
                long deadline = start + (MetricsServer.REQUEST_MILLIS + 3000) * 1_000_000;
                int code = 0;
                while (code != 200 && System.nanoTime() < deadline) {
                    try {
                        code = get(m, "/metrics").statusCode(); // refused (closed) while every thread is held
                    } catch (java.io.IOException refused) {
                        Thread.sleep(100);
                    }
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertEquals(200, code, "no answer within " + millis + " ms");
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    private static List<Socket> halfRequests(MetricsServer m, int n) throws Exception {
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket("127.0.0.1", m.address().getPort());
            s.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII));
            slow.add(s);
        }
        Thread.sleep(100); // accepted and handed to threads before the real scrape
        return slow;
    }

    @Test
    void aClientTricklingItsRequestIsCutAtTheDeadline() throws Exception {
        try (MetricsServer m = MetricsServer.listen(new InetSocketAddress("127.0.0.1", 0));
                Socket s = new Socket("127.0.0.1", m.address().getPort())) {
            OutputStream o = s.getOutputStream();
            InputStream in = s.getInputStream();
            s.setSoTimeout((int) (MetricsServer.REQUEST_MILLIS * 3));
            long start = System.nanoTime();
            int read = 0;
            for (int i = 0; i < 40 && read >= 0; i++) {
                try {
                    o.write('G'); // a byte every 200 ms: never a whole request
                    o.flush();
                } catch (java.io.IOException closed) {
                    break;
                }
                Thread.sleep(200);
                if (in.available() > 0) {
                    read = in.read();
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(-1, in.read(), "the server should have closed the connection");
            assertTrue(millis < MetricsServer.REQUEST_MILLIS + 2000, "held " + millis + " ms");
        }
    }
}

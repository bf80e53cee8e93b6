package io.ramdiskfs.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.stats.LatencyHistogram;
import io.ramdiskfs.stats.OpStats;
import io.ramdiskfs.status.DiskStatus;
import io.ramdiskfs.status.MountStatus;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void countersHistogramsAndGaugesInBaseUnits() {
        long[] c = new long[LatencyHistogram.bounds().length + 1];
        c[LatencyHistogram.bounds().length] = 1; // one read above 10 s
        c[8] = 3; // three at (3.5, 4] µs
        OpStats reads = new OpStats(4 * 4096, 2, 10_000_012_000L, c);
        DiskStatus d = new DiskStatus("a\"b", 1 << 20, 4096, 8192, 512, false, "ram", null, reads, OpStats.none(), OpStats.none());
        String t = PrometheusText.render(new MountStatus(1 << 30, 4096, 0, 0, List.of(d)));
        assertTrue(t.contains("ramdiskfs_memory_limit_bytes 1073741824\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_operations_total{disk=\"a\\\"b\"} 4\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_bytes_total{disk=\"a\\\"b\"} 16384\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_errors_total{disk=\"a\\\"b\"} 2\n"), t);
        assertTrue(t.contains("# TYPE ramdiskfs_disk_read_seconds histogram\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_seconds_bucket{disk=\"a\\\"b\",le=\"0.000005\"} 3\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_seconds_bucket{disk=\"a\\\"b\",le=\"1\"} 3\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_seconds_bucket{disk=\"a\\\"b\",le=\"+Inf\"} 4\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_read_seconds_sum{disk=\"a\\\"b\"} 10.000012\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_write_operations_total{disk=\"a\\\"b\"} 0\n"), t);
        assertTrue(t.contains("# TYPE ramdiskfs_disk_zero_bytes_total counter\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_zero_bytes_total{disk=\"a\\\"b\"} 8192\n"), t);
        assertTrue(t.contains("ramdiskfs_disk_discard_seconds_count{disk=\"a\\\"b\"} 0\n"), t);
    }

    @Test
    void secondsAreExact() {
        assertEquals("0.000005", PrometheusText.seconds(5_000));
        assertEquals("0.0025", PrometheusText.seconds(2_500_000));
        assertEquals("0", PrometheusText.seconds(0));
    }

    @Test
    void metricsAddressesParseOrSayWhatIsWrong() {
        assertEquals(new InetSocketAddress("127.0.0.1", 9100), MetricsAddress.parse("127.0.0.1:9100"));
        assertEquals(9100, MetricsAddress.parse(":9100").getPort());
        assertTrue(MetricsAddress.parse(":9100").getAddress().isAnyLocalAddress());
        assertEquals(9100, MetricsAddress.parse("[::1]:9100").getPort());
        for (String bad : new String[] {"9100", "127.0.0.1:x", "127.0.0.1:70000", "::1:9100", "no.such.host.invalid:1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}

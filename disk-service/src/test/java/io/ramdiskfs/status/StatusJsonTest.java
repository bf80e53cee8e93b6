package io.ramdiskfs.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.stats.LatencyHistogram;
import io.ramdiskfs.stats.OpStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusJsonTest {
    static MountStatus sample() {
        long[] c = new long[LatencyHistogram.bounds().length + 1];
        c[3] = 7;
        c[c.length - 1] = 1;
        OpStats reads = new OpStats(8 * 4096, 1, 123_456, c);
        DiskStatus a = new DiskStatus("disk0", 1L << 30, 65536, 3L << 20, 512, false, "ram", null, reads, OpStats.none(), OpStats.none());
        DiskStatus b = new DiskStatus("vm \"x\"\n", 8192, 0, 0, 4096, true, "ram over file:/tmp/a b.raw", List.of("s1", "s2"),
                OpStats.none(), OpStats.none(), new OpStats(1 << 20, 0, 99, c));
        return new MountStatus(4L << 30, 65536, 1_764_000_000_000L, 1_764_000_060_000L, List.of(a, b));
    }

    @Test
    void aDocumentReadsBackAsItWasWritten() {
        MountStatus s = sample();
        assertEquals(s, StatusJson.parse(StatusJson.write(s)));
        assertEquals(s, StatusJson.parse(StatusJson.write(s, "/mnt/rd")));
    }

    @Test
    void theDocumentCarriesPercentilesInMicrosecondsAndBaseUnits() {
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) Json.parse(StatusJson.write(sample(), "/mnt/rd"));
        assertEquals("/mnt/rd", doc.get("mount_point"));
        assertEquals(1L, doc.get("version"));
        @SuppressWarnings("unchecked")
        Map<String, Object> disk = (Map<String, Object>) ((List<Object>) doc.get("disks")).get(0);
        assertEquals(3L << 20, disk.get("zero_bytes"));
        assertEquals(1L << 30, disk.get("size_bytes"));
        assertTrue(!disk.containsKey("snapshots"), "no snapshots key where the mount has none");
        @SuppressWarnings("unchecked")
        Map<String, Object> reads = (Map<String, Object>) ((Map<String, Object>) disk.get("io")).get("reads");
        assertEquals(8L, reads.get("operations"));
        assertEquals(32768L, reads.get("bytes"));
        @SuppressWarnings("unchecked")
        Map<String, Object> lat = (Map<String, Object>) reads.get("latency_us");
        assertTrue(lat.keySet().containsAll(List.of("mean", "p50", "p90", "p99", "p999")), lat.toString());
    }

    @Test
    void badDocumentsAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StatusJson.parse("{\"memory\": 3}"));
        assertTrue(e.getMessage().contains("memory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": [1, 2}"));
        assertTrue(e.getMessage().contains("character"), e.getMessage());
    }

    @Test
    void jsonStringsEscapeWhatTheyMust() {
        String s = "a\"b\\c\nd\u0001";
        assertEquals(s, Json.parse(Json.quote(s)));
    }
}

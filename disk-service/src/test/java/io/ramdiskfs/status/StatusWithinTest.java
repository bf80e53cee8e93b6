package io.ramdiskfs.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.stats.OpStats;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link StatusJson#writeWithin}: the status attribute never passes the kernel's 64 KiB, and says what it left out. */
class StatusWithinTest {
    static DiskStatus disk(String name, int snapshots, int nameLength) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < snapshots; i++) {
            names.add(String.format("%04d-", i) + "n".repeat(nameLength));
        }
        return new DiskStatus(name, 1L << 30, 0, 0, 512, false, "ram", names, OpStats.none(), OpStats.none(), OpStats.none());
    }

    static MountStatus mount(List<DiskStatus> disks) {
        return new MountStatus(1L << 30, 0, 1_764_000_000_000L, 1_764_000_060_000L, disks);
    }

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void aDocumentThatFitsIsWholeAndTheSameAsWrite() {
        MountStatus s = mount(List.of(disk("a", 3, 10)));
        assertEquals(StatusJson.write(s), StatusJson.writeWithin(s, StatusJson.XATTR_SIZE_MAX));
    }

    @Test
    void fourHundredLongNamesKeepTheNewestThatFitAndCountTheRest() {
        MountStatus s = mount(List.of(disk("d", 400, 200)));
        assertTrue(bytes(StatusJson.write(s)) > StatusJson.XATTR_SIZE_MAX, "the test needs a document past the limit");
        String doc = StatusJson.writeWithin(s, StatusJson.XATTR_SIZE_MAX);
        assertTrue(bytes(doc) <= StatusJson.XATTR_SIZE_MAX, bytes(doc) + " bytes");
        List<String> shown = StatusJson.parse(doc).disks().get(0).snapshots();
        List<String> all = s.disks().get(0).snapshots();
        assertEquals(all.subList(all.size() - shown.size(), all.size()), shown, "the newest names, in order");
        assertTrue(doc.contains("\"snapshots_omitted\":" + (all.size() - shown.size())), doc.substring(0, 300));
        // As many as fit: one more name would not.
        assertTrue(shown.size() > 250, "only " + shown.size() + " names kept");
    }

    @Test
    void tooManyDisksForTheLimitLeaveTheLastOnesOutAndSaySo() {
        List<DiskStatus> disks = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            disks.add(disk(String.format("disk%03d-", i) + "x".repeat(200), 0, 0));
        }
        MountStatus s = mount(disks);
        String doc = StatusJson.writeWithin(s, StatusJson.XATTR_SIZE_MAX);
        assertTrue(bytes(doc) <= StatusJson.XATTR_SIZE_MAX, bytes(doc) + " bytes");
        int shown = StatusJson.parse(doc).disks().size();
        assertTrue(shown > 0 && shown < 400, shown + " disks");
        assertTrue(doc.contains("\"disks_omitted\":" + (400 - shown)), doc.substring(0, 300));
    }
}

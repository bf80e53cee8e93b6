package io.ramdiskfs.disk.ram;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.NativeMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A RAM layer's heap follows what it holds, not its nominal size (issue 20, item 1): the three
 * patterns that used to end the process with an OutOfMemoryError cost heap in proportion to
 * their data here, and give it back when the data goes.
 */
class HeapFollowsDataTest {
    private static final long PIB = 1L << 50;
    private static final long GIB = 1L << 30;
    private static final int SECTOR = 512;
    private static final long B = NativeMemory.BYTE_ARRAY_BASE;

    @Test
    void aThousandEmptyLayersOfAPetabyteCostAThousandNodes() {
        long before = TableHeap.held();
        List<RamLayer> layers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            layers.add(RamLayer.create(PIB, SECTOR, MemoryBudget.unlimited()));
        }
        long each = (TableHeap.held() - before) / 1000;
        assertEquals(TableHeap.NODE_BYTES, each, "heap per empty 1 PiB layer");
        layers.forEach(RamLayer::close);
        assertEquals(before, TableHeap.held());
    }

    @Test
    void writingAndPunchingAtEveryGigabyteGivesTheHeapBack() throws Exception {
        MemoryBudget budget = new MemoryBudget(1L << 30);
        RamLayer layer = RamLayer.create(PIB, SECTOR, budget);
        long before = TableHeap.held();
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 0x5a);
        int n = 8192; // 8 TiB of the disk touched, 512 MiB of data
        for (long i = 0; i < n; i++) {
            layer.write(data, B, i * (GIB / SECTOR), data.length / SECTOR, false);
        }
        long during = TableHeap.held() - before;
        assertTrue(during < n * 3 * TableHeap.NODE_BYTES, "a leaf and some interior nodes per written GiB, held " + during);
        byte[] back = new byte[4096];
        layer.read(back, B, 4000 * (GIB / SECTOR), back.length / SECTOR, null);
        assertArrayEquals(data, back, "the 4 KiB at GiB 4000 read back");
        for (long i = 0; i < n; i++) {
            layer.unmap(i * (GIB / SECTOR), data.length / SECTOR, 0);
        }
        assertEquals(0, TableHeap.held() - before, "heap after punching every write");
        assertEquals(0, budget.used(), "data memory after punching every write");
        layer.close();
    }

    @Test
    void theZeroStateOverALayerBelowIsGivenBackToo() throws Exception {
        RamLayer layer = RamLayer.create(64 * GIB * 1024, SECTOR, MemoryBudget.unlimited());
        long before = TableHeap.held();
        for (long i = 0; i < 1024; i++) {
            layer.unmap(i * 64 * (GIB / SECTOR), 8, Long.MAX_VALUE); // hides a base: the zero state
        }
        assertTrue(TableHeap.held() > before, "the zero state takes slots");
        for (long i = 0; i < 1024; i++) {
            layer.unmap(i * 64 * (GIB / SECTOR), 8, 0); // nothing below any more: absent
        }
        assertEquals(0, TableHeap.held() - before, "heap after the zero state is dropped");
        layer.close();
    }
}

package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A budget shared with a neighbour that enforces a lent limit itself (the passthrough tmpfs):
 * RAM reservations plus the neighbour's holding never pass the one limit, in either order.
 */
class SharedBudgetTest {
    static final long MIB = 1 << 20;
    static final long STEP = MIB;

    /** Holds what it is given up to its limit, as tmpfs does; counts limit changes. */
    static final class FakeTmpfs implements MemoryBudget.Neighbour {
        long held;
        long limit;
        final AtomicInteger changes = new AtomicInteger();

        boolean fill(long bytes) {
            if (held + bytes > limit) {
                return false;
            }
            held += bytes;
            return true;
        }

        @Override
        public long held() {
            return held;
        }

        @Override
        public boolean limitTo(long bytes) {
            assertTrue(bytes > 0 && bytes % 4096 == 0, "a limit of whole pages, at least one: " + bytes);
            if (bytes < held) {
                return false;
            }
            limit = bytes;
            changes.incrementAndGet();
            return true;
        }
    }

    @Test
    void theNeighbourGetsAllThatIsFreeAndRamTakesBackOnlyWhatItDoesNotHold() {
        MemoryBudget b = new MemoryBudget(64 * MIB);
        FakeTmpfs t = new FakeTmpfs();
        b.share(t, STEP);
        assertEquals(64 * MIB, t.limit, "a mount of passthrough disks alone gets the whole limit");
        assertTrue(t.fill(40 * MIB));

        assertTrue(b.tryReserve(20 * MIB), "RAM takes back from what the tmpfs does not hold");
        assertTrue(t.limit <= 44 * MIB, "the tmpfs limit shrank: " + t.limit);
        assertFalse(b.tryReserve(5 * MIB), "40 MiB in the tmpfs + 20 in RAM + 5 > 64");
        assertTrue(b.tryReserve(4 * MIB), "exactly up to the limit");
        assertEquals(40 * MIB, t.limit, "the tmpfs is down to what it holds");
        assertFalse(t.fill(4096), "and refuses more, as the kernel would");
        assertEquals(24 * MIB, b.used(), "used counts RAM only");
        assertEquals(64 * MIB, b.used() + t.held);
    }

    @Test
    void releasedRamGoesBackToTheNeighbourInSteps() {
        MemoryBudget b = new MemoryBudget(64 * MIB);
        FakeTmpfs t = new FakeTmpfs();
        b.share(t, STEP);
        assertTrue(b.tryReserve(30 * MIB));
        assertTrue(t.limit <= 34 * MIB);
        int changes = t.changes.get();
        b.release(STEP / 2);
        assertEquals(changes, t.changes.get(), "less than two steps free: no system call");
        b.release(30 * MIB - STEP / 2);
        assertEquals(63 * MIB, t.limit, "all but one step lent out again");
        assertTrue(t.fill(63 * MIB));
        assertTrue(b.tryReserve(STEP), "the step kept for RAM");
        assertFalse(b.tryReserve(4096), "nothing left anywhere");
    }

    @Test
    void ramFirstThenTheNeighbourStopsAtTheSameLimit() {
        MemoryBudget b = new MemoryBudget(64 * MIB);
        FakeTmpfs t = new FakeTmpfs();
        b.share(t, STEP);
        assertTrue(b.tryReserve(50 * MIB));
        long room = t.limit - t.held;
        assertTrue(room >= 64 * MIB - 50 * MIB - 2 * STEP && room <= 14 * MIB, "tmpfs room " + room);
        assertTrue(t.fill(room));
        assertFalse(t.fill(4096));
        assertTrue(b.used() + t.held <= 64 * MIB);
    }

    @Test
    void aSecondNeighbourOrATinyStepIsRefused() {
        MemoryBudget b = new MemoryBudget(64 * MIB);
        assertThrows(IllegalArgumentException.class, () -> b.share(new FakeTmpfs(), 100));
        b.share(new FakeTmpfs(), STEP);
        assertThrows(IllegalStateException.class, () -> b.share(new FakeTmpfs(), STEP));
    }
}

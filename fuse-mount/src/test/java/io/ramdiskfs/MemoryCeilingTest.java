package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup's memory limit as /proc describes it (v1 and v2), and the budget that fits under it. */
class MemoryCeilingTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path tmp;

    private Path write(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void v2TakesTheSmallestMemoryMaxOnTheWayUp() throws Exception {
        Path root = tmp.resolve("cg2");
        write("cg2/memory.max", "max\n");
        write("cg2/app/memory.max", "536870912\n");
        write("cg2/app/svc/memory.max", "max\n");
        Path cgroup = write("cgroup", "0::/app/svc\n");
        Path mountinfo = write("mountinfo", "30 20 0:26 / " + root + " rw,nosuid - cgroup2 cgroup2 rw\n");

        MemoryCeiling.Limit l = MemoryCeiling.find(cgroup, mountinfo).orElseThrow();
        assertEquals(512 * MIB, l.bytes());
        assertEquals(root.resolve("app/memory.max"), l.file());
    }

    @Test
    void v1ReadsTheHierarchicalLimitOfTheMemoryController() throws Exception {
        Path root = tmp.resolve("memory");
        write("memory/box/memory.stat", "cache 0\nhierarchical_memory_limit 314572800\nhierarchical_memsw_limit 9223372036854771712\n");
        Path cgroup = write("cgroup", "4:memory:/box\n3:cpuset:/\n0::/\n");
        Path mountinfo = write("mountinfo", "40 20 0:30 / " + tmp.resolve("cpu") + " rw - cgroup cgroup rw,cpu\n"
                + "41 20 0:31 / " + root + " rw,relatime - cgroup cgroup rw,memory\n");

        assertEquals(300 * MIB, MemoryCeiling.find(cgroup, mountinfo).orElseThrow().bytes());
    }

    @Test
    void noLimitAnywhereIsNoLimit() throws Exception {
        write("memory/memory.stat", "hierarchical_memory_limit 9223372036854771712\n");
        Path cgroup = write("cgroup", "4:memory:/\n");
        Path mountinfo = write("mountinfo", "41 20 0:31 / " + tmp.resolve("memory") + " rw - cgroup cgroup rw,memory\n");
        assertTrue(MemoryCeiling.find(cgroup, mountinfo).isEmpty());
        assertTrue(MemoryCeiling.find(tmp.resolve("missing"), mountinfo).isEmpty(), "no /proc: no limit, no failure");
    }

    @Test
    void aBudgetAboveTheLimitIsClampedLeavingTheReserveAndOneBelowStays() {
        MemoryCeiling.Limit half = new MemoryCeiling.Limit(512 * MIB, Path.of("memory.max"));
        assertEquals(384 * MIB, MemoryCeiling.clamp(2048 * MIB, half), "512 MiB less the 128 MiB reserve");
        assertEquals(100 * MIB, MemoryCeiling.clamp(100 * MIB, half));
        assertEquals(2048 * MIB, MemoryCeiling.clamp(2048 * MIB, null), "no cgroup limit");
        assertEquals(15 * 1024 * MIB, MemoryCeiling.clamp(64L * 1024 * MIB, new MemoryCeiling.Limit(16L * 1024 * MIB, Path.of("x"))),
                "the reserve stops at 1 GiB");
        assertThrows(IllegalStateException.class, () -> MemoryCeiling.clamp(MIB, new MemoryCeiling.Limit(100 * MIB, Path.of("x"))),
                "a cgroup smaller than the reserve leaves nothing for disks");
    }
}

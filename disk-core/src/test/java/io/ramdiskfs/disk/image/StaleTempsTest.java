package io.ramdiskfs.disk.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Temporary files that a killed save left beside its image ({@code .IMAGE.ramdiskfs-tmp-PID-N}).
 * A PID is reused: in a container or after a reboot, ramdiskfs often gets the PID of the run that
 * was killed, and a save must neither trip over that run's files nor take them for its own.
 */
class StaleTempsTest {
    static final int SS = 512;

    @TempDir
    Path dir;

    private static LayeredDisk diskWith(byte[] data) throws Exception {
        LayeredDisk disk = LayeredDisk.of(RamLayer.create(1 << 20, SS, MemoryBudget.unlimited()), false);
        disk.write(ByteBuffer.wrap(data), 0, false);
        return disk;
    }

    /** Files a killed earlier run with this very PID left: written before this JVM started. */
    private List<Path> leftByAnEarlierRunWithOurPid(String image, int count) throws Exception {
        long pid = ProcessHandle.current().pid();
        Instant before = ProcessHandle.current().info().startInstant().orElseThrow().minusSeconds(60);
        List<Path> out = new java.util.ArrayList<>();
        for (int n = 1; n <= count; n++) {
            Path p = dir.resolve("." + image + ImageWriter.TEMP_MARK + pid + "-" + n);
            Files.write(p, new byte[] {9});
            Files.setLastModifiedTime(p, FileTime.from(before));
            out.add(p);
        }
        return out;
    }

    private List<Path> listing() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aSaveSucceedsAndClearsTempsOfAnEarlierRunThatHadTheSamePid() throws Exception {
        byte[] data = new byte[4096];
        new java.util.Random(3).nextBytes(data);
        LayeredDisk disk = diskWith(data);
        leftByAnEarlierRunWithOurPid("p.raw", 200); // more than this JVM's saves can have numbered
        Path image = dir.resolve("p.raw");
        ImageWriter.save(disk, image, Progress.NONE);
        assertEquals(List.of(image), listing(), "stale temporary files stay beside the image");
        byte[] back = new byte[4096];
        System.arraycopy(Files.readAllBytes(image), 0, back, 0, 4096);
        assertArrayEquals(data, back);
        disk.close();
    }

    @Test
    void atStartTheTempsOfDeadAndEarlierRunsGoAndALiveSavesStay() throws Exception {
        List<Path> earlier = leftByAnEarlierRunWithOurPid("b.raw", 2);
        Path dead = dir.resolve(".b.raw" + ImageWriter.TEMP_MARK + "999999999-1");
        Files.write(dead, new byte[] {1});
        // A save in progress in another live process (our parent, started before this file was written).
        long parent = ProcessHandle.current().parent().orElseThrow().pid();
        Path live = dir.resolve(".b.raw" + ImageWriter.TEMP_MARK + parent + "-1");
        Files.write(live, new byte[] {2});
        Path foreign = dir.resolve(".b.raw" + ImageWriter.TEMP_MARK + "x-1");
        Files.write(foreign, new byte[] {3});
        Path image = dir.resolve("b.raw");
        Files.write(image, new byte[] {4});

        ImageWriter.removeStaleTemps(image);

        assertEquals(List.of(live, foreign, image).stream().sorted().toList(), listing());
        assertTrue(earlier.stream().noneMatch(Files::exists));
    }
}

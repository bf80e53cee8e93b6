package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.disk.image.ImageWriter;
import io.ramdiskfs.disk.image.ImageWriter.Stage;
import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two saves of one image in a deterministic order (issue 20, items 2 and 8): the mount runs in
 * this JVM so that {@link ImageWriter#hook} can hold one save at a chosen stage while a second
 * one, {@code ramdiskfs save} from another process through the mount, runs. The first save is
 * the embedded API's {@link RamDiskFs#save(String)}: the same call the {@code --save-interval}
 * save and the save at a stop make.
 *
 * <p>Whatever the order, the image ends with the later instant, the one the explicit save took;
 * and a save's temporary file never has a wider mode than the image it becomes.
 */
@RequiresFuse(root = true, tools = {"dd"})
class RacingSavesIT {
    static final long SIZE = 16 * MiB;
    static final Duration TURN = Duration.ofSeconds(60);

    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // saves need snapshots: RAM disks

    @AfterEach
    void noHook() {
        ImageWriter.hook(null);
    }

    /**
     * The interval save's snapshot S1 is written, but not renamed, when {@code ramdiskfs save}
     * snapshots S2. Before the fix the explicit save finished first and S1 was renamed over it:
     * a restart loaded S1 and the explicitly saved writes were gone.
     */
    @Test
    void anOlderSaveFinishingLastDoesNotReplaceANewerOne() throws Exception {
        Path image = disks.newDir("images").resolve("p.raw");
        RamDiskFs fs = disks.mount(DiskDefinition.of(DiskDefinition.Role.PERSIST, "p", image, SIZE));
        Path disk = fs.mountPoint().resolve("p");
        Path older = write(disk, 1);

        CountDownLatch olderWritten = new CountDownLatch(1);
        CountDownLatch newerWaits = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        ImageWriter.hook((stage, tmp, img) -> {
            if (!img.equals(image)) {
                return;
            }
            if (stage == Stage.WRITTEN && first.compareAndSet(true, false)) {
                olderWritten.countDown();
                await(release);
            } else if (stage == Stage.WAITING) {
                newerWaits.countDown();
            }
        });
        CompletableFuture<Long> olderSave = CompletableFuture.supplyAsync(() -> save(fs));
        assertTrue(olderWritten.await(TURN.toSeconds(), TimeUnit.SECONDS), "the first save never wrote its temporary file");

        Path newer = write(disk, 2);
        Process explicit = ramdiskfsSave(disk);
        // The explicit save either waits for the first one (one writer per image) or, without
        // that rule, runs to its end: wait for whichever comes first.
        long deadline = System.nanoTime() + TURN.toNanos();
        while (newerWaits.getCount() > 0 && explicit.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        release.countDown();
        olderSave.get(TURN.toSeconds(), TimeUnit.SECONDS);
        String out = finish(explicit);
        assertEquals(0, explicit.exitValue(), out);

        assertEquals(Data.sha256(newer), Data.sha256(image), "the image must hold the explicit save's later instant, not the"
                + (Data.sha256(older).equals(Data.sha256(image)) ? " older interval save's that finished last" : "se bytes"));
        assertEquals(List.of(), KillSchedule.temps(image), "a temporary file was left beside the image");
    }

    /**
     * The interval save has its snapshot S1 but has not started writing when {@code ramdiskfs
     * save} snapshots S2, writes it and publishes it. S1's turn comes after: it is dropped, and
     * the image keeps S2.
     */
    @Test
    void aSaveWhoseTurnComesAfterANewerOneIsPublishedIsDropped() throws Exception {
        Path image = disks.newDir("images").resolve("p.raw");
        RamDiskFs fs = disks.mount(DiskDefinition.of(DiskDefinition.Role.PERSIST, "p", image, SIZE));
        Path disk = fs.mountPoint().resolve("p");
        write(disk, 3);

        CountDownLatch olderStarting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        ImageWriter.hook((stage, tmp, img) -> {
            if (img.equals(image) && stage == Stage.STARTING && first.compareAndSet(true, false)) {
                olderStarting.countDown();
                await(release);
            }
        });
        CompletableFuture<Long> olderSave = CompletableFuture.supplyAsync(() -> save(fs));
        assertTrue(olderStarting.await(TURN.toSeconds(), TimeUnit.SECONDS), "the first save never started");

        Path newer = write(disk, 4);
        Process explicit = ramdiskfsSave(disk);
        String out = finish(explicit);
        assertEquals(0, explicit.exitValue(), out);
        assertEquals(Data.sha256(newer), Data.sha256(image), "the explicit save did not save the disk's content");

        release.countDown();
        long written = olderSave.get(TURN.toSeconds(), TimeUnit.SECONDS);
        assertEquals(Data.sha256(newer), Data.sha256(image), "the older save, whose turn came last, replaced the newer image");
        assertEquals(0, written, "the older save must write nothing once a later instant is in the image");
        assertEquals(List.of(), KillSchedule.temps(image), "a temporary file was left beside the image");
    }

    /**
     * A 0600 disk saves to a 0600 image, and its temporary file is 0600 from before its first
     * byte (seen when it is created and when it is complete). A mode the umask would narrow
     * (0666) is kept exactly; an old image keeps its own mode.
     */
    @Test
    void aSaveHasTheImagesFinalModeFromItsFirstByte() throws Exception {
        Path dir = disks.newDir("images");
        RamDiskFs fs = disks.mount(DiskDefinition.ram("d", SIZE));
        Path disk = fs.mountPoint().resolve("d");
        write(disk, 5);
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ImageWriter.hook((stage, tmp, img) -> {
            if (tmp != null && img.getParent().equals(dir)) {
                try {
                    seen.add(img.getFileName() + " " + stage + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp)));
                } catch (IOException e) {
                    seen.add(img.getFileName() + " " + stage + " " + e);
                }
            }
        });

        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-------"));
        Path secret = dir.resolve("secret.raw");
        assertSaved(ramdiskfsSave(disk, secret));
        assertEquals("rw-------", mode(secret), "a 0600 disk saved to a wider image");
        assertEquals(List.of("secret.raw CREATED rw-------", "secret.raw WRITTEN rw-------"), seen,
                "the temporary file was more permissive than the image it became");

        seen.clear();
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path shared = dir.resolve("shared.raw");
        assertSaved(ramdiskfsSave(disk, shared));
        assertEquals("rw-rw-rw-", mode(shared), "the umask narrowed the disk's mode");

        seen.clear();
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        assertSaved(ramdiskfsSave(disk, secret));
        assertEquals("rw-r-----", mode(secret), "a save over an image must keep that image's mode");
        assertEquals(List.of("secret.raw CREATED rw-r-----", "secret.raw WRITTEN rw-r-----"), seen);
        Tools.cmp(disk, secret);
    }

    // ------------------------------------------------------------------ helpers

    private Path write(Path disk, long seed) {
        Path data = Data.random(disks.newDir("data").resolve("c" + seed), SIZE, seed);
        Tools.dd("if=" + data, "of=" + disk, "bs=1M", "oflag=direct", "conv=notrunc");
        return data;
    }

    private static long save(RamDiskFs fs) {
        try {
            return fs.save("p");
        } catch (Exception e) {
            throw new AssertionError("the embedded save failed: " + e, e);
        }
    }

    /** {@code ramdiskfs save DISK [IMAGE]}, its few lines of output kept in the pipe until {@link #finish}. */
    private static Process ramdiskfsSave(Path disk, Path... image) throws IOException {
        List<String> args = image.length == 0 ? List.of("save", disk.toString()) : List.of("save", disk.toString(), image[0].toString());
        return new ProcessBuilder(CliProcess.commandLine(args.toArray(String[]::new))).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        if (!p.waitFor(TURN.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("ramdiskfs save did not end within " + TURN.toSeconds() + " s");
        }
        return new String(p.getInputStream().readAllBytes());
    }

    private static void assertSaved(Process p) throws Exception {
        String out = finish(p);
        assertEquals(0, p.exitValue(), "ramdiskfs save failed: " + out);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(TURN.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("the test never released the held save");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The guest kit: a Debian kernel and a busybox initramfs, built (once, then cached) by
 * bench/vm/build-guest.sh from Debian packages. A kit that cannot be built fails the test with the
 * script's output: no network or no apt is a broken test machine, not a reason to skip.
 */
record GuestKit(Path dir) {
    /** The download is ~70 MiB; the first build unpacks a kernel package. */
    private static final Duration BUILD = Duration.ofMinutes(10);

    static GuestKit build() {
        Path repo = Path.of(System.getProperty("ramdiskfs.repo", "..")).toAbsolutePath().normalize();
        Path script = repo.resolve("bench/vm/build-guest.sh");
        Cmd.Result r = Cmd.run(BUILD, "bash", script.toString());
        if (!r.ok()) {
            throw new AssertionError("cannot build the guest kit (Debian packages linux-image-amd64 and busybox-static, fetched with"
                    + " apt-get download; as root on Debian, with network or a warm cache in ~/.cache/ramdiskfs-vm)\n" + r.describe());
        }
        GuestKit kit = new GuestKit(Path.of(r.out().lines().reduce((a, b) -> b).orElse("")));
        for (Path p : new Path[] {kit.kernel(), kit.initramfs()}) {
            if (!Files.isRegularFile(p)) {
                throw new AssertionError("the guest kit lacks " + p + "\n" + r.describe());
            }
        }
        return kit;
    }

    Path kernel() {
        return dir.resolve("vmlinuz");
    }

    Path initramfs() {
        return dir.resolve("initramfs.cpio");
    }
}

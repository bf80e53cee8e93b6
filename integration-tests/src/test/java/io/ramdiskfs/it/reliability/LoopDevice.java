package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.Cmd;
import java.nio.file.Path;
import java.util.List;

/**
 * A loop device this test attached, for tests in which the file behind it goes away (a lazily
 * detached mount): {@link #close} detaches it as long as it is still backed by a file of the same
 * name, wherever that file now appears to be.
 */
final class LoopDevice implements AutoCloseable {
    final String device;
    private final String fileName;

    private LoopDevice(String device, String fileName) {
        this.device = device;
        this.fileName = fileName;
    }

    static LoopDevice attach(Path file, String... options) {
        List<String> cmd = Cmd.line("losetup", "--find", "--show");
        cmd.addAll(List.of(options));
        cmd.add(file.toString());
        String dev = Cmd.run(cmd).assertOk().out();
        if (!dev.startsWith("/dev/loop")) {
            throw new AssertionError("losetup printed '" + dev + "' instead of a loop device");
        }
        return new LoopDevice(dev, file.getFileName().toString());
    }

    boolean isAttached() {
        Cmd.Result r = Cmd.run("losetup", "--noheadings", "--output", "BACK-FILE", device);
        return r.ok() && !r.out().isEmpty();
    }

    @Override
    public void close() {
        Cmd.Result r = Cmd.run("losetup", "--noheadings", "--output", "BACK-FILE", device);
        if (!r.ok() || r.out().isEmpty()) {
            return; // already detached
        }
        String back = r.out().replace(" (deleted)", "");
        if (!back.endsWith("/" + fileName)) {
            throw new AssertionError(device + " is now backed by " + back + ", not our " + fileName + ": leaving it alone");
        }
        Cmd.run("losetup", "-d", device).assertOk();
    }
}

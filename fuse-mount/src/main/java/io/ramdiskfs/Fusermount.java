package io.ramdiskfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code fusermount -u}, the unprivileged way to unmount a FUSE mount. */
final class Fusermount {
    private Fusermount() {}

    /** The outcome: exit code and what it printed. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        boolean busy() {
            return output.contains("busy");
        }
    }

    static Result unmount(Path mountPoint, boolean lazy) throws MountException {
        List<String> cmd = new ArrayList<>(List.of("fusermount", "-u"));
        if (lazy) {
            cmd.add("-z");
        }
        cmd.add(mountPoint.toString());
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new MountException("fusermount -u " + mountPoint + " did not finish in 30 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new MountException("cannot run fusermount (install the 'fuse' package): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MountException("interrupted while unmounting " + mountPoint, e);
        }
    }
}

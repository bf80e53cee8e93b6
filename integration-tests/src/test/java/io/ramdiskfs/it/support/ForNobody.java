package io.ramdiskfs.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * What a test that runs ramdiskfs (or a client) as {@code nobody} needs: the checkout may sit in a
 * directory nobody cannot enter (CI clones into a {@code mktemp -d}, mode 700), so the jar, its
 * lib/, images and mount points go to a fresh world-traversable directory under /tmp instead.
 */
public final class ForNobody {
    private ForNobody() {}

    /** A new directory under /tmp, mode 755 (root's umask may be stricter). */
    public static Path openDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Copies the jar under test and its lib/ into {@code dir}, readable by all; returns the copy of the jar. */
    public static Path jarIn(Path dir) throws IOException {
        Path jar = CliProcess.jar();
        Path lib = Files.createDirectory(dir.resolve("lib"));
        try (var deps = Files.list(jar.resolveSibling("lib"))) {
            for (Path dep : deps.toList()) {
                Files.copy(dep, lib.resolve(dep.getFileName()));
            }
        }
        Path copy = Files.copy(jar, dir.resolve(jar.getFileName()));
        Cmd.ok("chmod", "-R", "a+rX", dir.toString());
        return copy;
    }
}

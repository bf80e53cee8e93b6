package io.ramdiskfs.fuse.jnr;

import java.util.Locale;

/**
 * Open flags whose values differ between architectures. {@code O_TMPFILE} is
 * {@code __O_TMPFILE | O_DIRECTORY}, and {@code O_DIRECTORY} is 0200000 in asm-generic (x86-64,
 * riscv64) but 040000 on arm64, arm and powerpc (their {@code asm/fcntl.h}): the x86-64 value on
 * arm64 asks for {@code O_DIRECT}, and the open fails or means something else.
 */
final class OpenFlags {
    private static final int TMPFILE_BIT = 020000000;

    private OpenFlags() {}

    /** {@code O_DIRECTORY} on the architecture named as {@code os.arch} names it. */
    static int directory(String arch) {
        return switch (arch.toLowerCase(Locale.ROOT)) {
            case "aarch64", "arm", "ppc64le", "ppc64", "ppc" -> 040000;
            default -> 0200000; // asm-generic: amd64, x86_64, riscv64, s390x, loongarch64
        };
    }

    static int tmpfile(String arch) {
        return TMPFILE_BIT | directory(arch);
    }

    /** {@code O_TMPFILE} for the JVM's own architecture. */
    static final int O_TMPFILE = tmpfile(System.getProperty("os.arch"));
}

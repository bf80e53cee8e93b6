package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;

import org.junit.jupiter.api.Test;

/** O_TMPFILE as each architecture's kernel headers define it (include/uapi/asm-generic and arch/arm64 fcntl.h). */
class OpenFlagsTest {
    @Test
    void tmpfileIsTheGenericValueOnX86AndTheArm64ValueOnArm64() {
        assertEquals(020200000, OpenFlags.tmpfile("amd64"), "x86-64 (os.arch amd64)");
        assertEquals(020200000, OpenFlags.tmpfile("riscv64"), "riscv64 (asm-generic)");
        assertEquals(020040000, OpenFlags.tmpfile("aarch64"), "arm64: O_DIRECTORY is 040000 there");
        assertEquals(020040000, OpenFlags.tmpfile("ppc64le"), "powerpc: O_DIRECTORY is 040000 there");
    }

    @Test
    void thisMachineOpensAnUnnamedFileWithTheValueItPicked() throws Exception {
        Path dir = Files.createTempDirectory("o_tmpfile");
        try {
            int fd = Libc.get().open(dir.toString(), Libc.O_TMPFILE | Libc.O_RDWR | Libc.O_CLOEXEC);
            assertTrue(fd >= 0, "open(O_TMPFILE) in " + dir + " failed: "
                    + LastError.getLastError(Runtime.getSystemRuntime()));
            Libc.get().close(fd);
        } finally {
            Files.delete(dir);
        }
    }
}

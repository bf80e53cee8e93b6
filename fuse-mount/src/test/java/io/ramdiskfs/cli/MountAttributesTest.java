package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands' attribute calls fail with an IOException whatever the JDK throws: its attribute
 * view lets an undeclared checked {@code UnixException} out when a killed daemon's mount answers
 * {@code ECONNABORTED} (CrashDuringSaveIT caught {@code ramdiskfs commit} dying with a stack trace).
 */
class MountAttributesTest {
    @TempDir
    Path dir;

    /** A checked exception thrown where the compiler does not see it, as the JDK's native code does. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneaky(Throwable e) throws E {
        throw (E) e;
    }

    @Test
    void anUndeclaredCheckedExceptionBecomesAFileSystemExceptionNamingTheFile() {
        Path file = dir;
        FileSystemException e = assertThrows(FileSystemException.class, () -> MountAttributes.call(file, view -> {
            sneaky(new Exception("Software caused connection abort"));
            return null;
        }));
        assertEquals(file.toString(), e.getFile());
        assertTrue(e.getMessage().contains("Software caused connection abort"), e.getMessage());
    }

    @Test
    void ioExceptionsAndResultsPassThrough() throws Exception {
        assertEquals("x", MountAttributes.call(dir, view -> "x"));
        assertThrows(java.io.IOException.class, () -> MountAttributes.call(dir, view -> {
            throw new java.io.IOException("plain");
        }));
    }
}

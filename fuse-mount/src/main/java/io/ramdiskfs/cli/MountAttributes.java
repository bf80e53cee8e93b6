package io.ramdiskfs.cli;

import io.ramdiskfs.fs.ControlAttributes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/**
 * The {@code user.*} attributes through which the commands act on a running mount, with every
 * failure an {@link IOException}. The JDK's attribute view can let an undeclared
 * {@code sun.nio.fs.UnixException} escape when closing its descriptor fails, which is what a mount
 * whose daemon was killed answers ({@code ECONNABORTED}, {@code ENOTCONN}): the commands then died
 * with a stack trace instead of their one line.
 */
final class MountAttributes {
    /** One call on an attribute view. */
    @FunctionalInterface
    interface Call<T> {
        T run(UserDefinedFileAttributeView view) throws IOException;
    }

    private MountAttributes() {}

    /** Runs {@code call} on the attribute view of {@code file}. */
    static <T> T call(Path file, Call<T> call) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        if (view == null) {
            throw new IOException(file + " has no extended attributes");
        }
        try {
            return call.run(view);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) { // checked but undeclared: the JDK's UnixException
            throw new FileSystemException(file.toString(), null, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** Sets the attribute {@code name} (a {@link ControlAttributes} name) of {@code file} to {@code value}. */
    static void write(Path file, String name, String value) throws IOException {
        call(file, v -> v.write(ControlAttributes.viewName(name), ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8))));
    }

    /** The attribute {@code name} (a {@link ControlAttributes} name) of {@code file} as text (up to 4 KiB). */
    static String read(Path file, String name) throws IOException {
        return call(file, v -> {
            ByteBuffer b = ByteBuffer.allocate(ControlAttributes.MAX_VALUE_BYTES);
            v.read(ControlAttributes.viewName(name), b);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
        });
    }
}

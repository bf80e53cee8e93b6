package io.ramdiskfs.disk.image;

import java.io.IOException;

/**
 * A save, load or commit that did not happen, with one line for a person saying why
 * ("no space left on device writing /backups/.vm.raw.ramdiskfs-tmp-42 (vm.raw is unchanged)").
 * Whatever image existed before is intact.
 */
public final class ImageFailure extends IOException {
    public ImageFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** The reason of an I/O failure in the words of the OS ("No space left on device"), one line. */
    static String reason(Throwable e) {
        String m = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}

package io.ramdiskfs.it.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A cpio archive in the kernel's initramfs format ("newc") holding one executable file. Appended
 * to the guest kit's initramfs it adds that file to the guest's root: the kernel unpacks
 * concatenated archives one after the other. Written here, so the host needs no cpio.
 */
final class NewcArchive {
    private NewcArchive() {}

    /** An archive with {@code name} (no leading slash), mode 0755, holding {@code content}; then the trailer. */
    static byte[] oneFile(String name, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        entry(out, 1, 0100755, name, content);
        entry(out, 0, 0, "TRAILER!!!", new byte[0]);
        return out.toByteArray();
    }

    private static void entry(ByteArrayOutputStream out, int ino, int mode, String name, byte[] data) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        // magic, then 13 fields of 8 hex digits: ino mode uid gid nlink mtime filesize devmajor
        // devminor rdevmajor rdevminor namesize check
        StringBuilder h = new StringBuilder("070701");
        for (long f : new long[] {ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, n.length, 0}) {
            h.append(String.format("%08x", f));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(n);
        pad(out);
        out.writeBytes(data);
        pad(out);
    }

    /** Header plus name, and the data, each end on a 4-byte boundary. */
    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}

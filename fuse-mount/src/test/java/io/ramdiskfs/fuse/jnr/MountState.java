package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.fs.DiskFile;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Everything a request could change in a {@link DiskDirectory}, as text: each disk's size, mode,
 * owner, mtime and a CRC-32C of its data extents (where they start and their bytes); each snapshot and the disks it holds, with their bytes.
 * Two equal states mean nothing changed; the first differing line says what did.
 */
record MountState(Map<String, String> lines) {
    static MountState of(DiskDirectory dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String name : dir.names()) {
            out.put("/" + name, describe(dir.lookup("/" + name), true));
        }
        for (String snap : dir.snapshotNames()) {
            for (String disk : dir.list("/.snap/" + snap)) {
                String path = "/.snap/" + snap + "/" + disk;
                out.put(path, describe(dir.lookup(path), false));
            }
            out.putIfAbsent("/.snap/" + snap, "snapshot");
        }
        return new MountState(out);
    }

    private static String describe(DiskFile f, boolean times) throws Exception {
        long size = f.size();
        CRC32C md = new CRC32C(); // a change detector, cheap enough to run twice per input
        byte[] buf = new byte[64 << 10];
        // Only the data extents: a disk may have grown to 1 PiB of holes.
        long data;
        for (long pos = 0; (data = f.disk().seekData(pos)) >= 0 && data < size; ) {
            long hole = Math.min(size, f.disk().seekHole(data));
            md.update(Long.toString(data).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (long at = data; at < hole; at += buf.length) {
                int n = (int) Math.min(buf.length, hole - at);
                f.disk().bytes().read(at, buf, NativeMemory.BYTE_ARRAY_BASE, n);
                md.update(buf, 0, n);
            }
            pos = hole;
        }
        return "size " + size + " mode " + Integer.toOctalString(f.mode()) + " owner " + f.uid() + ":" + f.gid()
                + (times ? " mtime " + f.mtimeNanos() : "") + " crc32c " + Long.toHexString(md.getValue());
    }

    /** The first difference from {@code before}, or null when there is none. */
    String differenceFrom(MountState before) {
        for (var e : before.lines.entrySet()) {
            String now = lines.get(e.getKey());
            if (!e.getValue().equals(now)) {
                return e.getKey() + ": was " + e.getValue() + ", now " + now;
            }
        }
        for (String k : lines.keySet()) {
            if (!before.lines.containsKey(k)) {
                return k + ": new " + lines.get(k);
            }
        }
        return null;
    }
}

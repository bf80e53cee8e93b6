package io.ramdiskfs.fs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Open file handles: small integers that index an array, so the I/O path finds its disk without
 * hashing or boxing. Opening and releasing take the table's monitor; looking up does not (the
 * array is republished on growth, and a slot is written before its number is handed out).
 */
final class HandleTable {
    private volatile DiskFile[] slots = new DiskFile[64];
    private int next;
    private int[] free = new int[16];
    private int freeCount;

    synchronized long add(DiskFile file) {
        int h;
        if (freeCount > 0) {
            h = free[--freeCount];
        } else {
            h = next++;
            if (h >= slots.length) {
                slots = Arrays.copyOf(slots, slots.length * 2);
            }
        }
        DiskFile[] s = slots;
        s[h] = file;
        slots = s; // volatile write publishes the slot
        return h;
    }

    /** The file of handle {@code h}, or null when no such handle is open. */
    DiskFile get(long h) {
        DiskFile[] s = slots;
        return h >= 0 && h < s.length ? s[(int) h] : null;
    }

    /** The files of every open handle (a file open twice appears twice). */
    synchronized List<DiskFile> openFiles() {
        List<DiskFile> open = new ArrayList<>();
        for (DiskFile f : slots) {
            if (f != null) {
                open.add(f);
            }
        }
        return open;
    }

    synchronized DiskFile remove(long h) {
        DiskFile[] s = slots;
        if (h < 0 || h >= s.length || s[(int) h] == null) {
            return null;
        }
        DiskFile f = s[(int) h];
        s[(int) h] = null;
        slots = s;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = (int) h;
        return f;
    }
}

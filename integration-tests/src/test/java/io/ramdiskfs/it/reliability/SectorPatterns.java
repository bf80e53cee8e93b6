package io.ramdiskfs.it.reliability;

import java.nio.ByteBuffer;

/**
 * Self-describing sector contents for concurrency checkers: every 8-byte word of a 512-byte
 * sector written by write number {@code tag} holds the tag, the sector number, the word's index
 * and a 10-bit check, so any word read back says which write put it where, or that it is garbage.
 * A word of a written sector is never zero (tags start at 1).
 */
final class SectorPatterns {
    static final int SECTOR = 512;
    static final int WORDS = SECTOR / 8;

    private SectorPatterns() {}

    static long word(long tag, long sector, int index) {
        long base = (tag << 32) | ((sector & 0xffff) << 16) | ((long) index << 10);
        return base | check(tag, sector, index);
    }

    private static long check(long tag, long sector, int index) {
        long h = tag * 0x9E3779B97F4A7C15L ^ sector * 0xC2B2AE3D27D4EB4FL ^ index * 0x165667B19E3779F9L;
        return (h >>> 54) & 0x3ff;
    }

    /** Fills {@code count} sectors starting at {@code firstSector} into {@code buf} from its position. */
    static void fill(ByteBuffer buf, long tag, long firstSector, int count) {
        for (int s = 0; s < count; s++) {
            for (int i = 0; i < WORDS; i++) {
                buf.putLong(word(tag, firstSector + s, i));
            }
        }
    }

    /** The tag of a word read at {@code (sector, index)}: 0 for a zero word, -1 for anything no write made there. */
    static long tagOf(long word, long sector, int index) {
        if (word == 0) {
            return 0;
        }
        long tag = word >>> 32;
        return tag > 0 && word(tag, sector, index) == word ? tag : -1;
    }

    /** The sector's tag when all its words are from one write, 0 when all are zero, else -1. */
    static long sectorTag(ByteBuffer buf, int at, long sector) {
        long tag = tagOf(buf.getLong(at), sector, 0);
        if (tag < 0) {
            return -1;
        }
        for (int i = 1; i < WORDS; i++) {
            long w = buf.getLong(at + 8 * i);
            if (tag == 0 ? w != 0 : w != word(tag, sector, i)) {
                return -1;
            }
        }
        return tag;
    }
}

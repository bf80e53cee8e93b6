package io.ramdiskfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared test pattern: its layout, its messages, and that byte, buffer and file forms agree. */
class SectorPatternTest {
    @TempDir
    Path dir;

    @Test
    void eachWordNamesItsOffsetAndGenerationLittleEndian() {
        assertEquals(0x0100_0003, SectorPattern.word(12, 1));
        byte[] b = SectorPattern.bytes(12, 4, 1);
        assertEquals(0x03, b[0]);
        assertEquals(0x00, b[1]);
        assertEquals(0x00, b[2]);
        assertEquals(0x01, b[3]);
        assertEquals(0x01, SectorPattern.byteAt(15, 1));
        assertEquals(0x02, SectorPattern.byteAt(8, 0));
    }

    @Test
    void unalignedRangesAreSlicesOfTheAlignedPattern() {
        byte[] whole = SectorPattern.bytes(0, 4096, 3);
        for (int from : new int[] {0, 1, 2, 3, 5, 511, 513}) {
            for (int len : new int[] {0, 1, 3, 4, 7, 1000}) {
                byte[] part = SectorPattern.bytes(from, len, 3);
                assertNull(SectorPattern.mismatch(part, 0, whole, from, len, from, 512));
                SectorPattern.check(part, 0, len, from, 3, 512);
            }
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(1001);
        direct.position(1);
        SectorPattern.fill(direct, 7, 3);
        SectorPattern.check(direct, 7, 3, 512);
    }

    @Test
    void aMismatchIsReportedLikeTheSeed() {
        byte[] b = SectorPattern.bytes(1024, 1024, 2);
        b[600] ^= 1;
        AssertionError e = assertThrows(AssertionError.class, () -> SectorPattern.check(b, 1024, 2));
        // Disk byte 1624: sector 3, byte 88 of it, word 22.
        int want = SectorPattern.word(1624, 2);
        assertEquals("at sector 3, word 22, got 0x" + Integer.toHexString(want ^ 1) + ", expected 0x" + Integer.toHexString(want),
                e.getMessage());
        byte[] zeros = new byte[100];
        zeros[99] = 5;
        e = assertThrows(AssertionError.class, () -> SectorPattern.checkZeros(zeros, 4096));
        assertEquals("at sector 8, word 24, got 0x5000000, expected 0x0", e.getMessage());
    }

    @Test
    void anUnalignedMismatchShowsTheWholeWord() {
        // Disk bytes 2..7; byte 3 is the generation byte of word 0, whose bytes 0 and 1 lie outside.
        byte[] b = SectorPattern.bytes(2, 6, 1);
        b[1] = 0;
        AssertionError e = assertThrows(AssertionError.class, () -> SectorPattern.check(b, 0, 6, 2, 1, 512));
        assertEquals("at sector 0, word 0, got 0x0, expected 0x1000000", e.getMessage());
    }

    @Test
    void imagesHoldThePattern() throws Exception {
        Path image = SectorPattern.writeImage(dir.resolve("a.img"), 3 * 1024 * 1024 + 512, 4);
        assertEquals(3 * 1024 * 1024 + 512, Files.size(image));
        SectorPattern.checkFile(image, 0, Files.size(image), 4, 512);
        SectorPattern.checkFile(image, 1_000_001, 77, 4, 512);
        assertThrows(AssertionError.class, () -> SectorPattern.checkFile(image, 0, 512, 5, 512));
        assertThrows(AssertionError.class, () -> SectorPattern.checkFile(image, Files.size(image) - 10, 20, 4, 512));
    }
}

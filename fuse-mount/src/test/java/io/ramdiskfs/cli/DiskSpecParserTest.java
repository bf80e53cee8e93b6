package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ramdiskfs.DiskDefinition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DiskSpecParserTest {
    @TempDir
    Path dir;

    private DiskDefinition parse(String spec) throws UsageException {
        return DiskSpecParser.parse(spec, 512, dir);
    }

    private String rejection(String spec, int sectorSize) {
        return assertThrows(UsageException.class, () -> DiskSpecParser.parse(spec, sectorSize, dir)).getMessage();
    }

    private String rejection(String spec) {
        return rejection(spec, 512);
    }

    private Path image(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            if (size > 0) {
                ch.truncate(0);
                ch.position(size - 1);
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            }
        }
        return p;
    }

    @Test
    void ramDisk() throws UsageException {
        DiskDefinition d = parse("disk0=1G");
        assertEquals("disk0", d.name());
        assertEquals(1L << 30, d.sizeBytes());
        assertNull(d.image());
        assertFalse(d.readOnly());
    }

    @Test
    void ramDiskReadOnly() throws UsageException {
        DiskDefinition d = parse("scratch=512M,ro");
        assertEquals(512L << 20, d.sizeBytes());
        assertTrue(d.readOnly());
        assertTrue(parse("x=1G,ro,ro").readOnly());
    }

    @Test
    void zeroSizeIsAnEmptyDisk() throws UsageException {
        assertEquals(0, parse("empty=0").sizeBytes());
    }

    @Test
    void sizeUpToOnePebibyte() throws UsageException {
        assertEquals(1L << 50, parse("big=1P").sizeBytes());
        assertEquals("--disk 'big=1025T': size 1025T (1126999418470400 bytes) is larger than the largest disk, 1P (1125899906842624 bytes)",
                rejection("big=1025T"));
        assertEquals("--disk 'big=2P': size 2P (2251799813685248 bytes) is larger than the largest disk, 1P (1125899906842624 bytes)",
                rejection("big=2P"));
    }

    @Test
    void nameMayHoldEqualsAfterTheFirstOnlyInTheValue() throws UsageException {
        // The name ends at the first '='.
        assertEquals("a", parse("a=1M").name());
        assertEquals("--disk 'a==1M': size '=1M' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                rejection("a==1M"));
    }

    @Test
    void badSizes() {
        assertEquals("--disk 'x=-1': size '-1' is negative", rejection("x=-1"));
        assertEquals("--disk 'x=10Q': size '10Q' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                rejection("x=10Q"));
        assertEquals("--disk 'x=0x': size '0x' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                rejection("x=0x"));
        assertEquals("--disk 'x=1.5G': size '1.5G' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                rejection("x=1.5G"));
        assertEquals("--disk 'x=99999999P': size '99999999P' is too large", rejection("x=99999999P"));
        assertEquals("--disk 'x=': no size after '=': give e.g. x=1G", rejection("x="));
        assertEquals("--disk 'x=,ro': no size after '=': give e.g. x=1G", rejection("x=,ro"));
    }

    @Test
    void sizeMustBeWholeSectors() throws UsageException {
        assertEquals("--disk 'x=1000': size 1000 is not a multiple of the sector size 512", rejection("x=1000"));
        assertEquals("--disk 'x=1K': size 1K (1024 bytes) is not a multiple of the sector size 4096", rejection("x=1K", 4096));
        assertEquals("--disk 'x=6K': size 6K (6144 bytes) is not a multiple of the sector size 4096", rejection("x=6K", 4096));
        assertEquals(8192, DiskSpecParser.parse("x=8K", 4096, dir).sizeBytes());
        assertEquals(1536, parse("x=1536").sizeBytes());
    }

    @Test
    void missingEquals() {
        assertEquals("--disk 'disk0': expected NAME=SIZE or NAME=ROLE:IMAGE (memdiff, load, persist, cache, writethrough)", rejection("disk0"));
        assertEquals("--disk '': expected NAME=SIZE or NAME=ROLE:IMAGE (memdiff, load, persist, cache, writethrough)", rejection(""));
    }

    @Test
    void badNames() {
        assertEquals("--disk '=1G': disk name is empty", rejection("=1G"));
        assertEquals("--disk 'a/b=1G': disk name 'a/b' contains '/'", rejection("a/b=1G"));
        assertEquals("--disk '/=1G': disk name '/' contains '/'", rejection("/=1G"));
        assertEquals("--disk '.=1G': disk name '.' is reserved", rejection(".=1G"));
        assertEquals("--disk '..=1G': disk name '..' is reserved", rejection("..=1G"));
        String longName = "n".repeat(256);
        assertEquals("--disk '" + longName + "=1G': disk name of 256 bytes is longer than 255", rejection(longName + "=1G"));
        // bytes of UTF-8, not characters: 128 × 'é' is 256 bytes
        String wide = "é".repeat(128);
        assertEquals("--disk '" + wide + "=1G': disk name of 256 bytes is longer than 255", rejection(wide + "=1G"));
    }

    @Test
    void longestAndOddNamesPass() throws UsageException {
        assertEquals(255, parse("n".repeat(255) + "=1M").name().length());
        assertEquals("...", parse("...=1M").name());
        assertEquals("disk 0.img", parse("disk 0.img=1M").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rw", "RO", "", "readonly", "ro=1"})
    void unknownFlags(String flag) {
        assertEquals("--disk 'x=1G,ro," + flag + "': unknown flag '" + flag + "' (the flags are 'ro' and 'passthrough')", rejection("x=1G,ro," + flag));
    }

    @Test
    void passthroughFlagOnARamDiskAlongsideRo() throws UsageException {
        DiskDefinition d = parse("x=1G,passthrough,ro");
        assertTrue(d.passthrough());
        assertTrue(d.readOnly());
        assertEquals(1L << 30, d.sizeBytes());
        assertFalse(parse("y=1G").passthrough());
    }

    @Test
    void passthroughIsRefusedOnMemdiff() throws IOException {
        image("base.raw", 4096);
        assertEquals("--disk 'vm=memdiff:base.raw,passthrough': passthrough needs a plain RAM disk: a memdiff disk's writes must stay above its image",
                rejection("vm=memdiff:base.raw,passthrough"));
    }

    @Test
    void unknownFlagOnMemdiff() throws IOException {
        image("base.raw", 4096);
        assertEquals("--disk 'vm=memdiff:base.raw,rw': unknown flag 'rw' (the only flag is 'ro')", rejection("vm=memdiff:base.raw,rw"));
    }

    @Test
    void memdiffOverAnImage() throws IOException, UsageException {
        Path img = image("base.raw", 1 << 20);
        DiskDefinition d = parse("vm=memdiff:base.raw");
        assertEquals("vm", d.name());
        assertEquals(img.toAbsolutePath(), d.image());
        assertTrue(d.isMemdiff());
        assertFalse(d.readOnly());
        DiskDefinition ro = parse("vm=memdiff:" + img + ",ro");
        assertEquals(img.toAbsolutePath(), ro.image());
        assertTrue(ro.readOnly());
    }

    @Test
    void memdiffImageMustBeWholeSectorsOfTheMountsSectorSize() throws IOException, UsageException {
        Path img = image("odd.raw", 1000);
        assertEquals("--disk 'vm=memdiff:" + img + "': image " + img + " is 1000 bytes, not a multiple of the sector size 512",
                rejection("vm=memdiff:" + img));
        Path small = image("small.raw", 512);
        assertEquals("--disk 'vm=memdiff:" + small + "': image " + small + " is 512 bytes, not a multiple of the sector size 4096",
                rejection("vm=memdiff:" + small, 4096));
        assertEquals(small, parse("vm=memdiff:" + small).image());
    }

    @Test
    void memdiffOverAMissingFile() {
        Path missing = dir.resolve("missing.raw");
        assertEquals("--disk 'vm=memdiff:missing.raw': image " + missing + " does not exist", rejection("vm=memdiff:missing.raw"));
    }

    @Test
    void memdiffOverADirectory() {
        assertEquals("--disk 'vm=memdiff:" + dir + "': image " + dir + " is a directory, not a raw image file", rejection("vm=memdiff:" + dir));
    }

    @Test
    void memdiffOverANonRegularFile() {
        Path devNull = Path.of("/dev/null");
        assumeTrue(Files.exists(devNull));
        assertEquals("--disk 'vm=memdiff:/dev/null': image /dev/null is neither a regular file nor a block device", rejection("vm=memdiff:/dev/null"));
    }

    @Test
    void memdiffOverAnEmptyFile() throws IOException {
        Path empty = image("empty.raw", 0);
        assertEquals("--disk 'vm=memdiff:" + empty + "': image " + empty + " is empty", rejection("vm=memdiff:" + empty));
    }

    @Test
    void memdiffWithoutAPath() {
        assertEquals("--disk 'vm=memdiff:': memdiff: needs the path of a raw image file", rejection("vm=memdiff:"));
        assertEquals("--disk 'vm=memdiff:,ro': memdiff: needs the path of a raw image file", rejection("vm=memdiff:,ro"));
    }

    /**
     * chmod 000 stops everyone but root. As root (CAP_DAC_OVERRIDE), use a file whose permission
     * check ignores that capability: /proc/sys files check their mode bits themselves, and
     * compact_memory is write-only (0200) even for root. Skipped only if neither is unreadable here.
     */
    @Test
    void memdiffOverAnUnreadableFile() throws IOException {
        Path img = image("secret.raw", 4096);
        Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("---------"));
        Path unreadable = reallyUnreadable(img) ? img : Path.of("/proc/sys/vm/compact_memory");
        assumeTrue(reallyUnreadable(unreadable),
                "running as root and /proc/sys/vm/compact_memory is readable: no unreadable regular file to test with");
        assertEquals("--disk 'vm=memdiff:" + unreadable + "': image " + unreadable + " is not readable (permission denied)",
                rejection("vm=memdiff:" + unreadable));
    }

    private static boolean reallyUnreadable(Path p) {
        if (!Files.isRegularFile(p)) {
            return false;
        }
        try {
            FileChannel.open(p, StandardOpenOption.READ).close();
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}

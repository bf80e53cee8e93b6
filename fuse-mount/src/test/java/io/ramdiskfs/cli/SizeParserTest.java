package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizeParserTest {
    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "4096, 4096",
        "100B, 100",
        "100b, 100",
        "64k, 65536",
        "64K, 65536",
        "512M, 536870912",
        "1G, 1073741824",
        "1g, 1073741824",
        "1GiB, 1073741824",
        "1gib, 1073741824",
        "1GB, 1073741824",
        "8G, 8589934592",
        "1T, 1099511627776",
        "1P, 1125899906842624",
        "8191P, 9222246136947933184",
        "9223372036854775807, 9223372036854775807",
    })
    void parses(String text, long bytes) throws UsageException {
        assertEquals(bytes, SizeParser.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10Q", "0x", "1.5G", "G", "1 G G", "1iB", "1KK", "0x10", "1e9", "+1", "1,024", "١٢"})
    void rejectsNonSizesNamingTheText(String text) {
        UsageException e = assertThrows(UsageException.class, () -> SizeParser.parse(text));
        assertEquals("size '" + text + "' is not a whole number of bytes with an optional K, M, G, T or P suffix (e.g. 512M, 8G, 4096)",
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-1G"})
    void rejectsNegative(String text) {
        UsageException e = assertThrows(UsageException.class, () -> SizeParser.parse(text));
        assertEquals("size '" + text + "' is negative", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void rejectsEmpty(String text) {
        UsageException e = assertThrows(UsageException.class, () -> SizeParser.parse(text));
        assertTrue(e.getMessage().startsWith("size '" + text + "' is empty"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999P", "8192P", "9223372036854775808", "99999999999999999999999", "9007199254740992K"})
    void rejectsOverflow(String text) {
        UsageException e = assertThrows(UsageException.class, () -> SizeParser.parse(text));
        assertEquals("size '" + text + "' is too large", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1000, 1000", "1024, 1K", "1073741824, 1G", "1125899906842624, 1P", "2251799813685248, 2P", "1536, 1536"})
    void formats(long bytes, String text) {
        assertEquals(text, SizeParser.format(bytes));
    }
}

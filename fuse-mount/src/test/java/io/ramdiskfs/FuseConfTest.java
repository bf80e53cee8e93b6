package io.ramdiskfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.fs.DaemonUser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --allow-other} by an ordinary user is refused before mounting, naming the file, unless
 * fuse.conf holds {@code user_allow_other} as fusermount reads it (comments and white space
 * stripped); root is never refused.
 */
class FuseConfTest {
    private static final DaemonUser ALICE = new DaemonUser(1234, 1234);

    @TempDir
    Path dir;

    private FuseConf conf(String text) throws Exception {
        return FuseConf.read(Files.writeString(dir.resolve("fuse.conf"), text));
    }

    @Test
    void debiansShippedFileRefusesAnOrdinaryUserWithOneLineNamingIt() throws Exception {
        FuseConf c = conf("# Allow non-root users to specify the allow_other or allow_root mount options.\n#user_allow_other\n");
        MountException e = assertThrows(MountException.class, () -> c.checkAllowOther(ALICE));
        String m = e.getMessage();
        assertTrue(m.contains(dir.resolve("fuse.conf").toString()) && m.contains("user_allow_other") && !m.contains("\n"), m);
        c.checkAllowOther(DaemonUser.ROOT);
    }

    @Test
    void theLineCountsWithWhiteSpaceAndATrailingComment() throws Exception {
        for (String text : new String[] {"user_allow_other\n", "mount_max = 1000\n  user_allow_other   # for alice\n"}) {
            FuseConf c = conf(text);
            assertTrue(c.allowsOther(), text);
            c.checkAllowOther(ALICE);
        }
        for (String text : new String[] {"", "user_allow_others\n", "# user_allow_other\n", "user_allow_other_not\n"}) {
            assertEquals(false, conf(text).allowsOther(), text);
        }
    }

    @Test
    void aMissingFileAllowsNothing() {
        FuseConf c = FuseConf.read(dir.resolve("absent"));
        MountException e = assertThrows(MountException.class, () -> c.checkAllowOther(ALICE));
        assertTrue(e.getMessage().contains(dir.resolve("absent").toString()), e.getMessage());
    }
}

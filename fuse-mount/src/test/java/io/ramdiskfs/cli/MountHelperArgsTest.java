package io.ramdiskfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountHelperArgsTest {
    @Test
    void everyCommandLineOptionHasAnOForm() throws UsageException {
        MountHelperArgs h = MountHelperArgs.parse(List.of("ramdiskfs", "/mnt/rd", "-o",
                "disk=vm=memdiff:/img+ro,disk=scratch=1G,memory_limit=4G,sector-size=4096,allow_other,ro,"
                        + "metrics=127.0.0.1:9100,page_cache,no_xattr,passthrough,huge_pages,verbose,disk=p=1G+passthrough,"
                        + "vhost-user=/run/vu"));
        assertEquals(List.of("--disk", "vm=memdiff:/img,ro", "--disk", "scratch=1G", "--memory-limit", "4G",
                "--sector-size", "4096", "--allow-other", "--read-only", "--metrics", "127.0.0.1:9100", "--page-cache",
                "--no-xattr", "--passthrough", "--huge-pages", "-v", "--disk", "p=1G,passthrough", "--vhost-user", "/run/vu",
                "/mnt/rd"), h.cliArgs());
        assertTrue(h.daemon());
        assertEquals("/mnt/rd", h.mountPoint());
    }

    @Test
    void genericMountOptionsAreAcceptedAndIgnored() throws UsageException {
        MountHelperArgs h = MountHelperArgs.parse(List.of("ramdiskfs", "/mnt/rd", "-o",
                "rw,defaults,nofail,_netdev,noauto,auto,user,users,dev,nodev,suid,nosuid,exec,noexec,atime,noatime,relatime,"
                        + "x-systemd.automount,x-systemd.mount-timeout=5min,fsname=foo,subtype=bar,comment=x,disk=a=1M"));
        assertEquals(List.of("--disk", "a=1M", "/mnt/rd"), h.cliArgs());
    }

    @Test
    void optionsMayComeFirstBeRepeatedAndBeGluedToTheFlag() throws UsageException {
        MountHelperArgs h = MountHelperArgs.parse(List.of("-o", "disk=a=1M", "src", "/mnt/rd", "-odisk=b=2M", "-o", ",,log=/tmp/l,daemon_timeout=9"));
        assertEquals(List.of("--disk", "a=1M", "--disk", "b=2M", "/mnt/rd"), h.cliArgs());
        assertEquals("/tmp/l", h.logFile());
        assertEquals(9, h.daemonTimeoutSeconds());
    }

    @Test
    void aMountPointAloneOrMinusFStaysInTheForeground() throws UsageException {
        assertFalse(MountHelperArgs.parse(List.of("-o", "disk=a=1M", "/mnt/rd")).daemon());
        assertFalse(MountHelperArgs.parse(List.of("src", "/mnt/rd", "-f", "-o", "disk=a=1M")).daemon());
        assertNull(MountHelperArgs.parse(List.of("src", "/mnt/rd")).logFile());
    }

    @Test
    void theHelperFormIsRecognized() {
        assertTrue(MountHelperArgs.isHelperForm(new String[] {"ramdiskfs", "/mnt/rd", "-o", "defaults"}));
        assertFalse(MountHelperArgs.isHelperForm(new String[] {"ramdiskfs", "/mnt/rd"})); // two mount points: a usage error
        assertTrue(MountHelperArgs.isHelperForm(new String[] {"/mnt/rd", "-o", "disk=a=1M"}));
        assertFalse(MountHelperArgs.isHelperForm(new String[] {"-d", "a=1M", "/mnt/rd"}));
        assertFalse(MountHelperArgs.isHelperForm(new String[] {"/mnt/rd"}));
        assertFalse(MountHelperArgs.isHelperForm(new String[] {"--memory-limit", "1G"}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bogus", "disk", "disk=", "allow_other=1", "memory_limit", "daemon_timeout=soon", "uid=1000"})
    void aBadOptionIsRefusedNamingIt(String option) {
        UsageException e = assertThrows(UsageException.class, () -> MountHelperArgs.parse(List.of("src", "/mnt", "-o", "disk=a=1M," + option)));
        assertTrue(e.getMessage().contains("'" + option + "'"), e.getMessage());
    }

    @Test
    void otherFlagsAndArgumentCountsAreRefused() {
        assertTrue(assertThrows(UsageException.class, () -> MountHelperArgs.parse(List.of("src", "/mnt", "-d", "a=1M")))
                .getMessage().contains("'-d'"));
        assertThrows(UsageException.class, () -> MountHelperArgs.parse(List.of("a", "b", "c", "-o", "rw")));
        assertThrows(UsageException.class, () -> MountHelperArgs.parse(List.of("-o", "rw")));
        assertThrows(UsageException.class, () -> MountHelperArgs.parse(List.of("src", "/mnt", "-o")));
    }
}

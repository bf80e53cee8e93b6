package io.ramdiskfs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which module and package may import which (issue 21), checked on the compiled main classes of
 * disk-core, disk-service and fuse-mount (all on this module's class path). The modules' packages
 * do not overlap, so a module is named by its packages. The vhost-user door has its own test
 * ({@code io.ramdiskfs.vhost.ArchitectureTest}): it is not on this class path, nor this one on its.
 */
class ArchitectureTest {
    /** The packages of fuse-mount: the root (the API), the FUSE door, the CLI, the service glue. */
    static final String[] FUSE_MOUNT = {"io.ramdiskfs", "io.ramdiskfs.fs..", "io.ramdiskfs.fuse..", "io.ramdiskfs.cli..", "io.ramdiskfs.service.."};
    /** The packages of disk-service: the frontend-neutral namespace seam, the I/O counters, the status model. */
    static final String[] DISK_SERVICE = {"io.ramdiskfs.disks..", "io.ramdiskfs.stats..", "io.ramdiskfs.status.."};
    /** The native FUSE binding and the raw FFI it rests on. */
    static final String[] FUSE_NATIVE = {"ru.serce.jnrfuse..", "jnr..", "com.kenai.jffi.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // Jars included: under `mvn verify` from the root the sibling modules are on the class
        // path as their jars (target/classes only up to the test phase). Only this project's
        // jars hold io.ramdiskfs classes.
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.ramdiskfs");
    }

    @Test
    void diskCoreImportsNoOtherModule() {
        ArchRule rule = noClasses().that().resideInAPackage("io.ramdiskfs.disk..")
                .should().dependOnClassesThat().resideInAnyPackage(concat(FUSE_MOUNT, DISK_SERVICE, new String[] {"io.ramdiskfs.vhost.."}))
                .because("disk-core is the disk alone: every door and the service build on it, never the reverse");
        rule.check(classes);
    }

    @Test
    void diskServiceImportsNoFuse() {
        ArchRule rule = noClasses().that().resideInAnyPackage(DISK_SERVICE)
                .should().dependOnClassesThat().resideInAnyPackage(concat(FUSE_NATIVE, FUSE_MOUNT))
                .because("the disk service serves every door (FUSE, vhost-user, NBD): it must be reachable without FUSE");
        rule.check(classes);
    }

    @Test
    void onlyTheJnrPackageImportsJnrFuse() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("io.ramdiskfs.fuse.jnr..")
                .should().dependOnClassesThat().resideInAPackage("ru.serce.jnrfuse..")
                .because("the libfuse2 binding is one package: replacing it (libfuse3, the raw protocol) touches nothing else");
        rule.check(classes);
    }

    @Test
    void theFilesystemImportsNoFuseBinding() {
        ArchRule rule = noClasses().that().resideInAPackage("io.ramdiskfs.fs..")
                .should().dependOnClassesThat().resideInAnyPackage(concat(FUSE_NATIVE,
                        new String[] {"io.ramdiskfs.fuse..", "io.ramdiskfs.cli..", "io.ramdiskfs.service.."}))
                .because("fs is the filesystem in plain Java, called by the FUSE adapter and by tests without a mount;"
                        + " its service classes are to move to disk-service");
        rule.check(classes);
    }

    @Test
    void theClassesWereFound() {
        // A rule over no classes passes whatever it says: make sure each module was imported.
        for (String c : new String[] {"io.ramdiskfs.disk.LayeredDisk", "io.ramdiskfs.disks.DiskNamespace", "io.ramdiskfs.fs.DiskDirectory"}) {
            if (!classes.contain(c)) {
                throw new AssertionError(c + " was not imported: the rules would check nothing");
            }
        }
    }

    static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}

package io.ramdiskfs.vhost;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The vhost-user door builds on disk-core and the disk service only (issue 21): it imports
 * nothing of fuse-mount (the root API, the FUSE door, the CLI) nor of the FUSE binding, so a VM
 * can be served by a process that has no FUSE at all. The rules of the other modules are in
 * fuse-mount's {@code io.ramdiskfs.ArchitectureTest}.
 */
class ArchitectureTest {
    @Test
    void vhostUserImportsNoFuseMount() {
        JavaClasses classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("io.ramdiskfs.vhost");
        if (!classes.contain(VhostUserDoor.class)) {
            throw new AssertionError("the vhost-user classes were not imported: the rule would check nothing");
        }
        noClasses().that().resideInAPackage("io.ramdiskfs.vhost..")
                .should().dependOnClassesThat().resideInAnyPackage("io.ramdiskfs", "io.ramdiskfs.fs..", "io.ramdiskfs.fuse..",
                        "io.ramdiskfs.cli..", "io.ramdiskfs.service..", "ru.serce.jnrfuse..")
                .because("the vhost-user door depends on disk-core and disk-service, not on fuse-mount")
                .check(classes);
    }
}

package io.ramdiskfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version, from the jar: the manifest's Implementation-Version when the build writes one, else
 * the {@code pom.properties} Maven packs into every jar; {@code dev} when run from classes.
 */
public final class Version {
    static final String POM_PROPERTIES = "/META-INF/maven/io.ramdiskfs/fuse-mount/pom.properties";

    private Version() {}

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        if (v != null && !v.isBlank()) {
            return v;
        }
        try (InputStream in = Version.class.getResourceAsStream(POM_PROPERTIES)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                v = p.getProperty("version");
                if (v != null && !v.isBlank()) {
                    return v.trim();
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // fall through
        }
        return "dev";
    }
}

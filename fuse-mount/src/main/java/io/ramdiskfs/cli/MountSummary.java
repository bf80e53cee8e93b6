package io.ramdiskfs.cli;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The info line for a new mount: "mounted DIR: disk0 (1073741824 bytes, ram), ...; memory limit N bytes". */
public final class MountSummary {
    private MountSummary() {}

    public static String describe(Path dir, MountOptions options) {
        List<String> disks = new ArrayList<>();
        for (DiskDefinition d : options.disks()) {
            disks.add(describe(d, options.passthrough()));
        }
        StringBuilder sb = new StringBuilder("mounted ").append(dir).append(": ").append(String.join(", ", disks))
                .append("; memory limit ").append(options.memoryLimit()).append(" bytes");
        if (options.sectorSize() != MountOptions.DEFAULT_SECTOR_SIZE) {
            sb.append("; sector size ").append(options.sectorSize());
        }
        if (options.readOnly()) {
            sb.append("; read-only");
        }
        if (options.allowOther()) {
            sb.append("; allow_other");
        }
        if (options.vhostUser() != null) {
            sb.append("; vhost-user sockets in ").append(options.vhostUser());
        }
        return sb.toString();
    }

    /** @param passthrough the mount asks passthrough for every plain disk ({@code --passthrough}) */
    static String describe(DiskDefinition d, boolean passthrough) {
        String ro = d.readOnly() ? ", ro" : "";
        if (d.image() == null) {
            // Asked for; where the lane is missing, a log line before this one says so.
            String lane = d.passthrough() || passthrough ? ", passthrough" : "";
            return d.name() + " (" + d.sizeBytes() + " bytes, ram" + lane + ro + ")";
        }
        String size;
        try {
            size = Files.exists(d.image()) ? Files.size(d.image()) + " bytes" : d.sizeBytes() + " bytes";
        } catch (IOException e) {
            size = "? bytes";
        }
        String role = d.role().name().toLowerCase(java.util.Locale.ROOT);
        return d.name() + " (" + size + ", " + role + (d.imageBelow() ? " over " : " ") + d.image() + ro + ")";
    }
}

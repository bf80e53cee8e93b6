package io.ramdiskfs.cli;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.DiskNames;
import io.ramdiskfs.disk.SectorRange;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One {@code --disk} value: {@code NAME=SIZE[,ro][,passthrough]} (a RAM disk) or {@code NAME=ROLE:IMAGE[,ro]}
 * with ROLE one of {@code memdiff}, {@code load}, {@code persist} (also {@code ,size=SIZE}),
 * {@code cache}, {@code writethrough} (SPEC section 7). The name ends at the first {@code =}; flags start at
 * the first {@code ,} after it, so an image path cannot contain a comma.
 *
 * <p>Everything is checked here, before mounting, so that each problem is one line naming the
 * offending text: the name, the size (and that it is a whole number of sectors, at most
 * {@link SectorRange#MAX_DISK_BYTES}), the image (exists, a regular file, readable, a non-zero whole
 * number of sectors), and the flags ({@code ro}, and {@code passthrough} for a RAM disk).
 */
public final class DiskSpecParser {
    static final String MEMDIFF = "memdiff:";

    private DiskSpecParser() {}

    /**
     * @param spec       the text after {@code --disk}
     * @param sectorSize the mount's sector size, which sizes and images must be a multiple of
     * @param workingDir what a relative image path is resolved against
     */
    public static DiskDefinition parse(String spec, int sectorSize, Path workingDir) throws UsageException {
        try {
            return parseUnprefixed(spec, sectorSize, workingDir);
        } catch (UsageException e) {
            throw new UsageException("--disk '" + spec + "': " + e.getMessage());
        }
    }

    private static DiskDefinition parseUnprefixed(String spec, int sectorSize, Path workingDir) throws UsageException {
        int eq = spec.indexOf('=');
        if (eq < 0) {
            throw new UsageException("expected NAME=SIZE or NAME=ROLE:IMAGE (memdiff, load, persist, cache, writethrough)");
        }
        String name = spec.substring(0, eq);
        String problem = DiskNames.problem(name);
        if (problem != null) {
            throw new UsageException(problem);
        }
        String rest = spec.substring(eq + 1);
        int comma = rest.indexOf(',');
        String what = comma < 0 ? rest : rest.substring(0, comma);
        DiskDefinition.Role role = roleOf(what);
        boolean readOnly = false;
        boolean passthrough = false;
        String sizeText = null;
        if (comma >= 0) {
            for (String flag : rest.substring(comma + 1).split(",", -1)) {
                if (flag.equals("ro")) {
                    readOnly = true;
                } else if (flag.equals("passthrough")) {
                    if (role != DiskDefinition.Role.RAM) {
                        throw new UsageException("passthrough needs a plain RAM disk: a " + role.prefix().replace(":", "")
                                + " disk's writes must stay above its image");
                    }
                    passthrough = true;
                } else if (flag.startsWith("size=") && role == DiskDefinition.Role.PERSIST) {
                    sizeText = flag.substring("size=".length());
                } else {
                    throw new UsageException("unknown flag '" + flag + "' (" + (role == DiskDefinition.Role.PERSIST
                            ? "the flags are 'ro' and 'size=SIZE')"
                            : role == DiskDefinition.Role.RAM ? "the flags are 'ro' and 'passthrough')" : "the only flag is 'ro')"));
                }
            }
        }
        DiskDefinition disk;
        if (role != DiskDefinition.Role.RAM) {
            String image = what.substring(role.prefix().length());
            if (image.isEmpty()) {
                throw new UsageException(role.prefix() + " needs the path of a raw image file");
            }
            Path path = workingDir.resolve(image).toAbsolutePath().normalize();
            long size = 0;
            if (sizeText != null) {
                size = SizeParser.parse(sizeText);
                checkDiskSize(sizeText, size, sectorSize);
            }
            if (role == DiskDefinition.Role.PERSIST && !Files.exists(path)) {
                if (sizeText == null) {
                    throw new UsageException("image " + path + " does not exist; give persist:" + image
                            + ",size=SIZE to start with an empty disk of SIZE");
                }
                Path dir = path.getParent();
                if (dir == null || !Files.isDirectory(dir)) {
                    throw new UsageException("image " + path + ": directory " + dir + " does not exist");
                }
            } else {
                checkImage(path, sectorSize);
            }
            if (role == DiskDefinition.Role.WRITETHROUGH && !Files.isWritable(path)) {
                throw new UsageException("image " + path + " is not writable, and writethrough: writes into it");
            }
            if (role == DiskDefinition.Role.PERSIST && readOnly) {
                throw new UsageException("a persist: disk cannot be read-only (use load:IMAGE,ro)");
            }
            disk = DiskDefinition.of(role, name, path, size);
        } else {
            if (what.isEmpty()) {
                throw new UsageException("no size after '=': give e.g. " + name + "=1G");
            }
            long size = SizeParser.parse(what);
            checkDiskSize(what, size, sectorSize);
            disk = DiskDefinition.ram(name, size);
        }
        disk = passthrough ? disk.asPassthrough() : disk;
        return readOnly ? disk.asReadOnly() : disk;
    }

    /** The role a value names by its prefix ({@code memdiff:}, {@code persist:}...); RAM when none. */
    private static DiskDefinition.Role roleOf(String what) {
        for (DiskDefinition.Role r : DiskDefinition.Role.values()) {
            if (r != DiskDefinition.Role.RAM && what.startsWith(r.prefix())) {
                return r;
            }
        }
        return DiskDefinition.Role.RAM;
    }

    static void checkDiskSize(String text, long size, int sectorSize) throws UsageException {
        String shown = "size " + text + (text.equals(Long.toString(size)) ? "" : " (" + size + " bytes)");
        if (size > SectorRange.MAX_DISK_BYTES) {
            throw new UsageException(shown + " is larger than the largest disk, "
                    + SizeParser.format(SectorRange.MAX_DISK_BYTES) + " (" + SectorRange.MAX_DISK_BYTES + " bytes)");
        }
        if (size % sectorSize != 0) {
            throw new UsageException(shown + " is not a multiple of the sector size " + sectorSize);
        }
    }

    /** Exists, a regular file, readable (really opened), a non-zero whole number of sectors. */
    static void checkImage(Path path, int sectorSize) throws UsageException {
        if (!Files.exists(path)) {
            throw new UsageException("image " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            throw new UsageException("image " + path + " is a directory, not a raw image file");
        }
        if (!Files.isRegularFile(path) && !io.ramdiskfs.disk.image.FileLayer.isBlockDevice(path)) {
            throw new UsageException("image " + path + " is neither a regular file nor a block device");
        }
        if (!Files.isReadable(path)) {
            throw new UsageException("image " + path + " is not readable (permission denied)");
        }
        // access(2) says yes to root for any mode, and lies on some filesystems: really open it.
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new UsageException("image " + path + " is empty");
            }
            if (size % sectorSize != 0) {
                throw new UsageException("image " + path + " is " + size + " bytes, not a multiple of the sector size " + sectorSize);
            }
            if (size > SectorRange.MAX_DISK_BYTES) {
                throw new UsageException("image " + path + " is " + size + " bytes, larger than the largest disk, "
                        + SizeParser.format(SectorRange.MAX_DISK_BYTES));
            }
        } catch (IOException e) {
            throw new UsageException("image " + path + " is not readable (" + oneLine(e) + ")");
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            m = "permission denied";
        } else if (e instanceof java.nio.file.NoSuchFileException) {
            m = "no such file or directory";
        } else if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            m = fse.getReason();
        }
        return m.replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}

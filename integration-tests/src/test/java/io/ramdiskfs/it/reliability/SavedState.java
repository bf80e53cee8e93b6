package io.ramdiskfs.it.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What an image holds after a crash, judged block by block against the image before the
 * operation ({@code old}) and the content the operation was to write ({@code next}): the old one,
 * the new one, a prefix of the new one over the old (the state at an instant while one writer
 * wrote the new content in order: what a periodic save can catch), or torn (anything else,
 * named by the first block that fits no such state). Blocks equal in both count as either.
 */
record SavedState(Kind kind, long newBlocks, String detail) {
    static final int BLOCK = 4096;

    enum Kind { OLD, NEW, PREFIX, TORN, MISSING }

    boolean is(Kind... kinds) {
        for (Kind k : kinds) {
            if (k == kind) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PREFIX -> "a prefix of the new content (" + newBlocks + " blocks of " + BLOCK + " bytes new)";
            case TORN, MISSING -> kind + ": " + detail;
            default -> kind.toString();
        };
    }

    static SavedState of(Path image, Path old, Path next) {
        if (!Files.exists(image)) {
            return new SavedState(Kind.MISSING, 0, image + " does not exist");
        }
        try (FileChannel i = FileChannel.open(image, StandardOpenOption.READ);
                FileChannel o = FileChannel.open(old, StandardOpenOption.READ);
                FileChannel n = FileChannel.open(next, StandardOpenOption.READ)) {
            long size = i.size();
            if (size != o.size() || size != n.size()) {
                return new SavedState(Kind.TORN, 0, image + " is " + size + " bytes, the old image " + o.size() + ", the new content "
                        + n.size());
            }
            int piece = 1 << 20;
            ByteBuffer ib = ByteBuffer.allocate(piece);
            ByteBuffer ob = ByteBuffer.allocate(piece);
            ByteBuffer nb = ByteBuffer.allocate(piece);
            long firstOldOnly = -1;
            long newOnly = 0;
            for (long at = 0; at < size; at += piece) {
                int len = (int) Math.min(piece, size - at);
                fill(i, ib, at, len);
                fill(o, ob, at, len);
                fill(n, nb, at, len);
                for (int b = 0; b < len; b += BLOCK) {
                    int bl = Math.min(BLOCK, len - b);
                    boolean isOld = ib.slice(b, bl).equals(ob.slice(b, bl));
                    boolean isNew = ib.slice(b, bl).equals(nb.slice(b, bl));
                    long block = (at + b) / BLOCK;
                    if (!isOld && !isNew) {
                        return new SavedState(Kind.TORN, 0, "block " + block + " (offset " + (at + b) + ") of " + image
                                + " is neither the old image's nor the new content's");
                    }
                    if (isOld && !isNew && firstOldOnly < 0) {
                        firstOldOnly = block;
                    }
                    if (isNew && !isOld) {
                        if (firstOldOnly >= 0) {
                            return new SavedState(Kind.TORN, 0, "block " + block + " (offset " + (at + b) + ") is new but block "
                                    + firstOldOnly + " before it is old: no instant of an in-order writer looks like that");
                        }
                        newOnly++;
                    }
                }
            }
            if (newOnly == 0) {
                return new SavedState(Kind.OLD, 0, "");
            }
            return firstOldOnly < 0 ? new SavedState(Kind.NEW, newOnly, "") : new SavedState(Kind.PREFIX, firstOldOnly, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void fill(FileChannel ch, ByteBuffer buf, long pos, int len) throws IOException {
        buf.clear().limit(len);
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                throw new IOException("short file at " + (pos + buf.position()));
            }
        }
    }
}

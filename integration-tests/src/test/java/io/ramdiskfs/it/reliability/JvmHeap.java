package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.Cmd;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Java heap of another JVM (a ramdiskfs child process), through {@code jcmd}. */
final class JvmHeap {
    private static final Pattern USED = Pattern.compile("(?m)^\\s*\\S.*heap\\s+total \\d+K, used (\\d+)K");

    private JvmHeap() {}

    /** Runs a full GC in {@code pid}, then returns the bytes of heap still in use. */
    static long usedAfterFullGc(long pid) {
        Cmd.run("jcmd", Long.toString(pid), "GC.run").assertOk();
        Cmd.Result info = Cmd.run("jcmd", Long.toString(pid), "GC.heap_info").assertOk();
        Matcher m = USED.matcher(info.stdout());
        if (!m.find()) {
            throw new AssertionError("no 'heap total ..K, used ..K' line from jcmd GC.heap_info\n" + info.describe());
        }
        return Long.parseLong(m.group(1)) * 1024;
    }
}

package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.status.MountStatus;
import io.ramdiskfs.status.StatusJson;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What one client, or one big mount, must not take from everyone else (issue 20, item 15):
 * {@code /metrics} while clients hold connections with half a request, and
 * {@code user.ramdiskfs.status} (so {@code ramdiskfs status}) with 400 snapshots of 200-character
 * names, some 80 KiB of names, past the kernel's 64 KiB for one attribute (E2BIG for every reader
 * before the fix: "Argument list too long").
 */
@RequiresFuse(tools = {"getfattr"})
class OperationsLimitsIT {
    @RegisterExtension
    final MountedDisks disks = new MountedDisks().offTheLane(); // snapshots: RAM disks

    @Test
    void halfRequestsDoNotBlockMetricsForEveryoneElse() throws Exception {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "--metrics", "127.0.0.1:0", "-d", "m=8M");
        Await.logLine(rd, "metrics on http://127.0.0.1:", Duration.ofSeconds(10));
        Matcher port = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(rd.stderr());
        assertTrue(port.find(), rd.describe());
        int p = Integer.parseInt(port.group(1));

        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // more than the server has threads
                Socket s = new Socket("127.0.0.1", p);
                OutputStream o = s.getOutputStream();
                o.write("GET /metr".getBytes(StandardCharsets.US_ASCII)); // and nothing more
                o.flush();
                slow.add(s);
            }
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            long start = System.nanoTime();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/metrics"))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("ramdiskfs_disk_size_bytes{disk=\"m\"} 8388608"), r.body());
            System.out.println("OperationsLimitsIT: /metrics answered in " + millis + " ms with 8 half requests held open");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void statusFitsTheAttributeLimitWith400LongSnapshotNames() throws Exception {
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "-d", "d=8M");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String name = String.format("%03d-", i) + "n".repeat(196);
            Files.createDirectory(mp.resolve(".snap").resolve(name));
            names.add(name);
        }

        Cmd.Result attr = Cmd.run("getfattr", "--only-values", "-n", "user.ramdiskfs.status", mp.toString());
        assertEquals(0, attr.exitCode(), "the status attribute must stay readable: " + attr.describe());
        assertTrue(attr.stdout().length() <= StatusJson.XATTR_SIZE_MAX, "status is " + attr.stdout().length() + " bytes");

        Cmd.Result json = Cmd.run(Duration.ofMinutes(1), CliProcess.commandLine("status", mp.toString(), "--json"));
        assertEquals(0, json.exitCode(), json.describe());
        MountStatus s = StatusJson.parse(json.stdout().trim());
        List<String> shown = s.disks().get(0).snapshots();
        assertTrue(!shown.isEmpty() && shown.size() < names.size(), "shown " + shown.size());
        assertEquals(names.subList(names.size() - shown.size(), names.size()), shown, "the newest snapshots are the ones shown");
        assertTrue(attr.stdout().contains("\"snapshots_omitted\":" + (names.size() - shown.size())),
                "the document must say how many it left out: " + attr.stdout().substring(0, 400));

        Cmd.Result table = Cmd.run(Duration.ofMinutes(1), CliProcess.commandLine("status", mp.toString()));
        assertEquals(0, table.exitCode(), table.describe());
    }
}

package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.Nbdkit;
import io.ramdiskfs.it.support.NetnsPair;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.TlsCerts;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The disks of a mount over NBD with TLS on X.509 certificates (SPEC section 9, "TLS as nbdkit
 * offers it"), as the README shows it: a CA and a server certificate made with openssl,
 * {@code nbdkit --tls=require --tls-certificates=DIR file dir=MOUNT}, clients holding only the CA
 * certificate. Over TCP between two network namespaces of the test's own making and over a Unix
 * socket: data written through TLS is in the mount and data written in the mount comes back through
 * TLS; a client in the clear is refused, and so is one that trusts another CA or meets a
 * certificate for another address (libnbd and qemu verify a TCP server's certificate and name;
 * over a Unix socket qemu does, given {@code tls-hostname}, and libnbd 1.14 does not). NbdIT has the rest of NBD (holes, trim, snapshots) and TLS-PSK.
 */
@RequiresFuse(root = true, tools = {"nbdkit", "nbdinfo", "nbdcopy", "qemu-io", "ip", "openssl"})
class NbdTlsIT {
    private static final int PORT = 10811;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** qemu's NBD client with TLS: the credentials object and the disk as --image-opts. */
    private static List<String> qemuIo(Path clientDir, String server, String command) {
        return List.of("qemu-io", "--object", "tls-creds-x509,id=tls0,dir=" + clientDir + ",endpoint=client",
                "--image-opts", "driver=nbd," + server + ",export=disk0,tls-creds=tls0", "-c", command);
    }

    @Test
    void x509OverTcpBetweenTwoNamespacesAndOverAUnixSocket() throws Exception {
        Path mp = disks.newMountPoint();
        disks.startCliMounted(mp, "--memory-limit", "512M", "-d", "disk0=64M", "-d", "thin=10G");
        Path dir = disks.newDir("nbd-x509");
        Path disk0 = mp.resolve("disk0");
        // A socket's path has at most 107 bytes: the socket goes in a short directory of its own.
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "rdfs-nbdtls-");
        Path socket = sockets.resolve("nbd.sock");
        try (NetnsPair net = NetnsPair.create()) {
            String host = net.serverAddress();
            TlsCerts certs = TlsCerts.create(dir.resolve("pki"), host);
            TlsCerts stranger = TlsCerts.create(dir.resolve("stranger"), host);
            // Signed by a CA the client trusts, but for another address than the one it dials.
            TlsCerts misnamed = TlsCerts.create(dir.resolve("misnamed"), "192.0.2.99");
            List<String> tlsArgs = List.of("--tls=require", "--tls-certificates=" + certs.serverDir(), "file", "dir=" + mp);
            try (Nbdkit tcp = Nbdkit.start(dir, "nbdkit-x509", net.inServer(),
                        concat(List.of("-i", host, "-p", String.valueOf(PORT)), tlsArgs));
                    Nbdkit unix = Nbdkit.start(dir, "nbdkit-x509-unix", List.of(), concat(List.of("-U", socket.toString()), tlsArgs));
                    Nbdkit wrongName = Nbdkit.start(dir, "nbdkit-x509-misnamed", net.inServer(), List.of("-i", host, "-p",
                            String.valueOf(PORT + 1), "--tls=require", "--tls-certificates=" + misnamed.serverDir(), "file", "dir=" + mp))) {
                String trusted = "?tls-certificates=" + certs.clientDir();
                String tcpUri = "nbds://" + host + ":" + PORT + "/disk0";

                // Every disk, over TLS.
                Cmd.Result list = net.inClient("nbdinfo", "--list", "nbds://" + host + ":" + PORT + trusted).assertOk();
                assertTrue(list.stdout().contains("with TLS"), list.describe());
                assertTrue(list.stdout().contains("export=\"disk0\"") && list.stdout().contains("export=\"thin\""), list.describe());

                // Into the mount through TLS, and out of it again.
                Path in = Data.random(dir.resolve("in.raw"), 64 * MiB, 23);
                net.inClient("nbdcopy", in.toString(), tcpUri + trusted).assertOk();
                Tools.cmp(in, disk0);
                Tools.dd("if=/dev/urandom", "of=" + disk0, "bs=1M", "seek=8", "count=2", "conv=notrunc", "oflag=direct");
                Path out = dir.resolve("out.raw");
                net.inClient("nbdcopy", tcpUri + trusted, out.toString()).assertOk();
                Tools.cmp(disk0, out);

                // Refused: a client in the clear, and one trusting another CA.
                Cmd.Result plain = net.inClient("nbdinfo", "nbd://" + host + ":" + PORT + "/disk0");
                assertNotEquals(0, plain.exitCode(), plain.describe());
                Cmd.Result strangerCa = net.inClient("nbdinfo", tcpUri + "?tls-certificates=" + stranger.clientDir());
                assertNotEquals(0, strangerCa.exitCode(), strangerCa.describe());
                assertTrue(strangerCa.stderr().contains("certificate"), strangerCa.describe());
                Cmd.Result otherName = net.inClient("nbdinfo", "nbds://" + host + ":" + (PORT + 1) + "/disk0?tls-certificates="
                        + misnamed.clientDir());
                assertNotEquals(0, otherName.exitCode(), otherName.describe());
                assertTrue(otherName.stderr().contains("certificate"), otherName.describe());

                // qemu's own client over TCP: it checks the certificate names the address it dialled.
                String inet = "server.type=inet,server.host=" + host + ",server.port=" + PORT;
                net.inClient(qemuIo(certs.clientDir(), inet, "write -P 0x5a 1M 1M").toArray(String[]::new)).assertOk();
                net.inClient(qemuIo(certs.clientDir(), inet, "read -P 0x5a 1M 1M").toArray(String[]::new)).assertOk();
                byte[] fives = new byte[(int) MiB];
                java.util.Arrays.fill(fives, (byte) 0x5a);
                Tools.cmp(Files.write(dir.resolve("fives"), fives), 0, disk0, MiB, MiB);
                Cmd.Result qemuOtherName = net.inClient(qemuIo(misnamed.clientDir(), "server.type=inet,server.host=" + host
                        + ",server.port=" + (PORT + 1), "read 0 64k").toArray(String[]::new));
                assertNotEquals(0, qemuOtherName.exitCode(), qemuOtherName.describe());
                assertTrue(qemuOtherName.stderr().contains("does not match the hostname"), qemuOtherName.describe());

                // The Unix socket: the same disk through TLS, nothing in the clear.
                String unixUri = "nbds+unix:///disk0?socket=" + socket + "&tls-certificates=" + certs.clientDir();
                Path viaUnix = dir.resolve("unix.raw");
                Cmd.run("nbdcopy", unixUri, viaUnix.toString()).assertOk();
                Tools.cmp(disk0, viaUnix);
                Cmd.Result unixPlain = Cmd.run("nbdinfo", "nbd+unix:///disk0?socket=" + socket);
                assertNotEquals(0, unixPlain.exitCode(), unixPlain.describe());
                // libnbd (1.14) does not verify a Unix socket's server; qemu does when told the name to expect.
                String local = "server.type=unix,server.path=" + socket + ",tls-hostname=localhost";
                Cmd.run(qemuIo(certs.clientDir(), local, "read -P 0x5a 1M 1M")).assertOk();
                Cmd.Result qemuStranger = Cmd.run(qemuIo(stranger.clientDir(), local, "read -P 0x5a 1M 1M"));
                assertNotEquals(0, qemuStranger.exitCode(), qemuStranger.describe());
                assertTrue(qemuStranger.stderr().contains("issuer"), qemuStranger.describe());
            } finally {
                Cmd.run("rm", "-rf", sockets.toString());
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}

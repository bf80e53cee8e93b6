package io.ramdiskfs.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * X.509 files for nbdkit's {@code --tls-certificates=DIR} and a client's {@code tls-certificates=DIR},
 * made with openssl the way nbdkit-tls(1) lays them out: the server directory holds
 * {@code ca-cert.pem}, {@code server-cert.pem} and {@code server-key.pem} (the key mode 0600), the
 * client directory only {@code ca-cert.pem} (the server is verified, the client is not asked for a
 * certificate). The server certificate names {@code localhost} and the given address (a client
 * verifying a TCP peer checks the address it dialled against the certificate).
 */
public final class TlsCerts {
    private final Path serverDir;
    private final Path clientDir;

    private TlsCerts(Path serverDir, Path clientDir) {
        this.serverDir = serverDir;
        this.clientDir = clientDir;
    }

    /** A fresh CA in {@code dir/ca} and a server certificate for {@code localhost} and {@code ip} signed by it. */
    public static TlsCerts create(Path dir, String ip) {
        try {
            Path ca = Files.createDirectories(dir.resolve("ca"));
            Path server = Files.createDirectories(dir.resolve("server"));
            Path client = Files.createDirectories(dir.resolve("client"));
            Cmd.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ramdiskfs test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                    "-keyout", ca.resolve("ca-key.pem").toString(), "-out", ca.resolve("ca-cert.pem").toString());
            Cmd.ok("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-keyout", server.resolve("server-key.pem").toString(), "-out", ca.resolve("server.csr").toString());
            Path ext = Files.writeString(ca.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:" + ip + "\n"
                    + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
            Cmd.ok("openssl", "x509", "-req", "-days", "2", "-in", ca.resolve("server.csr").toString(),
                    "-CA", ca.resolve("ca-cert.pem").toString(), "-CAkey", ca.resolve("ca-key.pem").toString(), "-CAcreateserial",
                    "-extfile", ext.toString(), "-out", server.resolve("server-cert.pem").toString());
            Cmd.ok("chmod", "600", server.resolve("server-key.pem").toString());
            Files.copy(ca.resolve("ca-cert.pem"), server.resolve("ca-cert.pem"));
            Files.copy(ca.resolve("ca-cert.pem"), client.resolve("ca-cert.pem"));
            return new TlsCerts(server, client);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write certificates under " + dir, e);
        }
    }

    /** nbdkit's {@code --tls-certificates} directory. */
    public Path serverDir() {
        return serverDir;
    }

    /** A client's {@code tls-certificates} directory (libnbd URIs, qemu's {@code tls-creds-x509 dir=}). */
    public Path clientDir() {
        return clientDir;
    }
}

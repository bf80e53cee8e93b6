package io.ramdiskfs.it.support;

import java.util.ArrayList;
import java.util.List;

/**
 * Two network namespaces made by the test, a server's and a client's, joined by a veth pair with
 * private addresses of their own ({@code 10.213.N.1} and {@code .2}): traffic between them goes
 * nowhere else. {@link #close} deletes both namespaces (the veth pair goes with them).
 */
public final class NetnsPair implements AutoCloseable {
    private final String server;
    private final String client;
    private final String serverAddress;

    private NetnsPair(String server, String client, String serverAddress) {
        this.server = server;
        this.client = client;
        this.serverAddress = serverAddress;
    }

    public static NetnsPair create() {
        long tag = ProcessHandle.current().pid() % 10000;
        int subnet = (int) (tag % 250) + 1;
        String server = "rdfs-srv-" + tag;
        String client = "rdfs-cli-" + tag;
        String sv = "rdfs" + tag + "s"; // interface names: at most 15 bytes
        String cv = "rdfs" + tag + "c";
        NetnsPair pair = new NetnsPair(server, client, "10.213." + subnet + ".1");
        try {
            Cmd.ok("ip", "netns", "add", server);
            Cmd.ok("ip", "netns", "add", client);
            Cmd.ok("ip", "link", "add", sv, "netns", server, "type", "veth", "peer", "name", cv, "netns", client);
            Cmd.ok("ip", "-n", server, "addr", "add", pair.serverAddress + "/24", "dev", sv);
            Cmd.ok("ip", "-n", client, "addr", "add", "10.213." + subnet + ".2/24", "dev", cv);
            for (String[] up : new String[][] {{server, sv}, {client, cv}, {server, "lo"}, {client, "lo"}}) {
                Cmd.ok("ip", "-n", up[0], "link", "set", up[1], "up");
            }
            return pair;
        } catch (RuntimeException | AssertionError e) {
            pair.close();
            throw e;
        }
    }

    public String serverAddress() {
        return serverAddress;
    }

    /** {@code ip netns exec SERVER}: a command prefix. */
    public List<String> inServer() {
        return new ArrayList<>(List.of("ip", "netns", "exec", server));
    }

    /** {@code ip netns exec CLIENT COMMAND}, to its end. */
    public Cmd.Result inClient(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", client));
        cmd.addAll(List.of(command));
        return Cmd.run(cmd);
    }

    @Override
    public void close() {
        Cmd.run("ip", "netns", "delete", client);
        Cmd.run("ip", "netns", "delete", server);
    }
}

package io.ramdiskfs.service;

import java.net.InetSocketAddress;

/** The {@code HOST:PORT} of {@code --metrics}: {@code 127.0.0.1:9100}, {@code [::1]:9100}, {@code :9100} (every address). */
public final class MetricsAddress {
    private MetricsAddress() {}

    /** @throws IllegalArgumentException naming the text and what is wrong with it */
    public static InetSocketAddress parse(String text) {
        String t = text == null ? "" : text.trim();
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:9100)");
        }
        String host = t.substring(0, colon);
        String portText = t.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port '" + portText + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + port + " is not in 0-65535");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + text + "': write an IPv6 host in brackets, e.g. [::1]:9100");
        }
        if (host.isEmpty() || host.equals("*")) {
            return new InetSocketAddress(port);
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("'" + text + "': host '" + host + "' cannot be resolved");
        }
        return a;
    }
}

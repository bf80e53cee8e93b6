package io.ramdiskfs.cli;

/** What a signal or the JVM's shutdown is delivered to. */
public interface SignalSink {
    /** A signal arrived: called on the JVM's signal thread, returns at once. */
    void onSignal(String name);

    /** The JVM is exiting by some other way. */
    void onShutdown();
}

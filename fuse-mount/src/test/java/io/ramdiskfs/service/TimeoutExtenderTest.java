package io.ramdiskfs.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TimeoutExtenderTest {
    private final List<String> sent = new ArrayList<>();
    private final SdNotify notify = SdNotify.over("@test", (socket, message) -> sent.add(message));
    private final AtomicLong moved = new AtomicLong();

    @Test
    void extendsOnlyWhileImagesMoveDuringStartAndStop() {
        TimeoutExtender e = new TimeoutExtender(notify, moved::get);
        e.tick();
        assertEquals(List.of(), sent, "nothing moved yet: a stuck start gets no more time");

        moved.addAndGet(3L << 20);
        e.tick();
        assertEquals(List.of("EXTEND_TIMEOUT_USEC=90000000\nSTATUS=loading images: 3 MiB moved"), sent);
        e.tick();
        assertEquals(1, sent.size(), "no movement since the last tick, no extension");

        e.running();
        moved.addAndGet(1L << 20); // a save by the user while running: systemd times nothing then
        e.tick();
        assertEquals(1, sent.size(), sent.toString());

        e.stopping();
        e.tick();
        assertEquals(1, sent.size(), "the movement was seen while running");
        moved.addAndGet(5L << 20);
        e.tick();
        assertEquals("EXTEND_TIMEOUT_USEC=90000000\nSTATUS=saving images: 9 MiB moved", sent.get(1));
    }

    @Test
    void outsideSystemdNoThreadAndNoMessage() {
        SdNotify nobody = SdNotify.over(null, (socket, message) -> sent.add(message));
        try (TimeoutExtender e = TimeoutExtender.start(nobody, moved::get, java.time.Duration.ofMillis(1))) {
            moved.addAndGet(1 << 20);
            e.tick();
            assertTrue(sent.isEmpty(), sent.toString());
        }
    }
}

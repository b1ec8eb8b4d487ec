package dev.keel.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The long-lived connections of this node (customer event streams, agent sockets), so that a
 * stopping node can tell each to reconnect elsewhere instead of waiting for them to end.
 */
final class LiveConnections {
    /** One open connection: told to reconnect, then closed. */
    interface Live {
        void sayGoodbye();
    }

    private final Set<Live> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /** Adds a connection; when the node is already stopping it is told to go at once. */
    void add(Live live) {
        open.add(live);
        if (closing) {
            live.sayGoodbye();
        }
    }

    void remove(Live live) {
        open.remove(live);
    }

    int size() {
        return open.size();
    }

    /** Tells every open connection to reconnect (to another node) and closes it. */
    void closeAll() {
        closing = true;
        for (Live live : Set.copyOf(open)) {
            live.sayGoodbye();
        }
    }
}

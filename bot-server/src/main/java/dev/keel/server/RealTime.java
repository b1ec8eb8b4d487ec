package dev.keel.server;

import io.vertx.ext.web.Router;

/** The live routes, the customer's event stream and the agent socket, and their open connections. */
final class RealTime {
    private final CustomerEvents customerEvents;
    private final AgentSocket agentSocket;
    private final LiveConnections connections;

    RealTime(CustomerEvents customerEvents, AgentSocket agentSocket, LiveConnections connections) {
        this.customerEvents = customerEvents;
        this.agentSocket = agentSocket;
        this.connections = connections;
    }

    /** Registers the routes; call before the body handler, which would read the WebSocket upgrade request. */
    void register(Router router, ConsoleAuth auth) {
        customerEvents.register(router);
        agentSocket.register(router, auth);
    }

    /** Tells every open stream and socket of this node to reconnect elsewhere, and closes them. */
    void closeAll() {
        connections.closeAll();
    }
}

package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Tells every Keel node that something changed, through one Redis pub/sub channel
 * ({@value #CHANNEL}), and passes it on to this node's open streams and sockets over Vert.x's local
 * event bus.
 *
 * <p>A change says only <em>what</em> changed ("conversation X", "the queue", "presence"), never
 * the new data: readers then read the transcript from the last {@code seq} they sent, so a lost
 * notice costs a delay, never a message. Pub/sub delivers nothing while a subscriber is away, so
 * after each (re)subscription the subscriber announces {@link #RESYNC} and every reader reads
 * again; readers also read again on their own timer.
 *
 * <p>Each node has one subscriber connection, on a thread of its own (Jedis's subscribe blocks),
 * which reconnects by itself after Redis restarts. Publishing goes through {@link Store#announce}.
 */
final class ChangeBus implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeBus.class);
    static final String CHANNEL = "keel:events";
    /** Local address of the changes to one conversation: new messages, a new owner, typing. */
    static final String CONVERSATION = "keel.conversation.";
    /** Local address of changes to the hand-off queue. */
    static final String QUEUE = "keel.queue";
    /** Local address of agents coming and going. */
    static final String PRESENCE = "keel.presence";
    /** Local address of conversations given to one agent (claimed by them or transferred to them). */
    static final String AGENT = "keel.agent.";
    /** Local address told after the subscriber (re)connected: changes may have been missed, read again. */
    static final String RESYNC = "keel.resync";
    private static final long PING_MILLIS = 10_000;
    /** A subscriber connection that hears nothing (not even its own pings' answers) this long is dead. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final Vertx vertx;
    private final URI redis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Listener> current = new AtomicReference<>();
    private final Thread thread;
    private final long pingTimer;

    private ChangeBus(Vertx vertx, URI redis) {
        this.vertx = vertx;
        this.redis = redis;
        this.thread = new Thread(this::listen, "keel-change-bus");
        this.thread.setDaemon(true);
        this.pingTimer = vertx.setPeriodic(PING_MILLIS, id -> ping());
    }

    /** Subscribes this node to the changes of all nodes. */
    static ChangeBus start(Vertx vertx, URI redis) {
        ChangeBus bus = new ChangeBus(vertx, redis);
        bus.thread.start();
        return bus;
    }

    // --- the changes, as published

    static JsonObject conversationChanged(String conversationId) {
        return new JsonObject().put("kind", "conversation").put("conversationId", conversationId);
    }

    static JsonObject queueChanged() {
        return new JsonObject().put("kind", "queue");
    }

    static JsonObject presenceChanged() {
        return new JsonObject().put("kind", "presence");
    }

    static JsonObject typing(String conversationId, String agentName) {
        return new JsonObject().put("kind", "typing").put("conversationId", conversationId).put("agentName", agentName);
    }

    /** A conversation now owned by this agent; {@code seq} is the notice that says so (-1 if unknown). */
    static JsonObject given(String conversationId, String agentId, long seq) {
        return new JsonObject().put("kind", "given").put("conversationId", conversationId).put("agentId", agentId).put("seq", seq);
    }

    // --- the subscriber

    private void listen() {
        long backoff = 250;
        while (running.get()) {
            Listener listener = new Listener();
            try (Jedis jedis = new Jedis(redis, 2000, READ_TIMEOUT_MILLIS)) {
                current.set(listener);
                jedis.subscribe(listener, CHANNEL);
            } catch (RuntimeException e) {
                if (!running.get()) {
                    return;
                }
                if (listener.subscribed) {
                    backoff = 250;
                }
                LOG.warn("change bus: subscription to Redis lost ({}); retrying in {} ms", e.toString(), backoff);
            } finally {
                current.set(null);
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    /** Keeps the connection's reads from timing out while it is healthy, and finds it dead when it is not. */
    private void ping() {
        Listener listener = current.get();
        if (listener != null && listener.subscribed) {
            try {
                listener.ping();
            } catch (RuntimeException e) {
                LOG.debug("change bus ping failed: {}", e.toString());
            }
        }
    }

    private final class Listener extends JedisPubSub {
        private volatile boolean subscribed;

        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
            subscribed = true;
            LOG.info("change bus: subscribed to {}", channel);
            vertx.eventBus().publish(RESYNC, new JsonObject());
        }

        @Override
        public void onMessage(String channel, String message) {
            JsonObject change;
            try {
                change = new JsonObject(message);
            } catch (DecodeException e) {
                LOG.warn("change bus: ignoring a message that is not JSON");
                return;
            }
            String address = switch (change.getString("kind", "")) {
                case "conversation", "typing" -> CONVERSATION + change.getString("conversationId");
                case "queue" -> QUEUE;
                case "presence" -> PRESENCE;
                case "given" -> AGENT + change.getString("agentId");
                default -> null;
            };
            if (address != null) {
                vertx.eventBus().publish(address, change);
            }
        }
    }

    @Override
    public void close() {
        running.set(false);
        vertx.cancelTimer(pingTimer);
        Listener listener = current.get();
        if (listener != null && listener.subscribed) {
            try {
                listener.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debug("change bus unsubscribe failed: {}", e.toString());
            }
        }
        thread.interrupt();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.keel.server;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/agent/ws}: the agent console's live connection. It pushes the queue at
 * connect and whenever it changes on any node, the new messages and status of the conversations
 * the agent watches (one the agent is given is watched at once), and agents coming and going. The
 * console sends {@code watch}, {@code unwatch} and {@code typing}; every action stays on the REST
 * routes.
 *
 * <p>The upgrade needs an agent or admin (session cookie or service token). A browser always sends {@code Origin} on a WebSocket upgrade and a session
 * cookie goes with it whatever page opens the socket, so an upgrade from any origin other than
 * Keel's own or one of {@code --allowed-origins} is refused (cross-site WebSocket hijacking).
 *
 * <p>As on the customer's stream, changes only make the socket re-read Redis from the last seq it
 * sent, so nothing is lost when a change notice is.
 */
final class AgentSocket {
    private static final Logger LOG = LoggerFactory.getLogger(AgentSocket.class);
    static final int MAX_FRAME_BYTES = 64 * 1024;
    static final int MAX_MESSAGE_BYTES = 256 * 1024;
    /** Client frames are small commands; longer ones are refused without closing the socket. */
    static final int MAX_TEXT_CHARS = ChatService.MAX_TEXT_CHARS;
    static final int MAX_WATCHED = 50;
    private static final int WRITE_QUEUE_BYTES = 256 * 1024;
    private static final long TYPING_EVERY_MILLIS = 1_500;
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    private static final Pattern CONVERSATION_ID = Pattern.compile("[0-9a-f-]{36}");
    /** Close code when the client does not read what is sent to it: it should reconnect and resume. */
    private static final short TRY_AGAIN_LATER = 1013;
    private static final short GOING_AWAY = 1001;
    private static final short MESSAGE_TOO_BIG = 1009;

    private final Vertx vertx;
    private final AgentDesk desk;
    private final ChatService chat;
    private final Store store;
    private final Handoffs handoffs;
    private final LiveConnections live;
    private final Set<String> allowedOrigins;

    AgentSocket(Vertx vertx, AgentDesk desk, ChatService chat, Store store, Handoffs handoffs, LiveConnections live,
                List<String> allowedOrigins) {
        this.vertx = vertx;
        this.desk = desk;
        this.chat = chat;
        this.store = store;
        this.handoffs = handoffs;
        this.live = live;
        this.allowedOrigins = Set.copyOf(allowedOrigins.stream().map(EdgePolicy::checkOrigin).toList());
    }

    /**
     * Registers the route before the body handler: the upgrade request is held unread (paused)
     * while the agent role guard checks the caller, since a request that has been read to its end
     * can no longer be upgraded.
     */
    void register(Router router, ConsoleAuth auth) {
        router.get("/api/v1/agent/ws").handler(ctx -> {
            ctx.request().pause();
            ctx.next();
        }).handler(auth.requireRole(Role.AGENT)).handler(this::upgrade);
    }

    private void upgrade(RoutingContext ctx) {
        String upgrade = ctx.request().getHeader(HttpHeaders.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            throw new ApiException(400, "websocket_required", "this route takes a WebSocket upgrade");
        }
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin != null && !ownOrigin(ctx, origin) && !allowedOrigins.contains(origin.toLowerCase(Locale.ROOT))) {
            throw new ApiException(403, "origin_not_allowed", "this origin may not open the agent socket");
        }
        String agentId = AgentApi.authenticate(ctx);
        if (!AGENT_ID.matcher(agentId).matches()) {
            throw new ApiException(400, "missing_agent", AgentApi.AGENT_HEADER + " must name the agent (1 to 64 letters, digits or . _ @ -)");
        }
        ctx.request().toWebSocket()
                .onSuccess(ws -> new Session(ws, agentId).begin())
                .onFailure(e -> LOG.info("agent socket upgrade failed: {}", e.toString()));
    }

    private static boolean ownOrigin(RoutingContext ctx, String origin) {
        String host = ctx.request().getHeader(HttpHeaders.HOST);
        return host != null && (origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host));
    }

    /** One agent's socket. Everything but the Redis reads runs on the socket's event-loop context. */
    private final class Session implements LiveConnections.Live {
        private final ServerWebSocket ws;
        private final String agentId;
        private final Context context;
        private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
        private final Map<String, Watch> watched = new HashMap<>();
        private final Map<String, Long> typedAt = new HashMap<>();
        private final Reader queue = new Reader(this::readQueue);
        private final Reader presence = new Reader(this::readPresence);
        private long pingTimer = -1;
        private boolean closed;

        Session(ServerWebSocket ws, String agentId) {
            this.ws = ws;
            this.agentId = agentId;
            this.context = vertx.getOrCreateContext();
        }

        void begin() {
            ws.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
            ws.closeHandler(v -> close());
            ws.exceptionHandler(this::failed);
            ws.textMessageHandler(this::received);
            ws.binaryMessageHandler(b -> error("binary_not_supported", "send JSON text frames"));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.QUEUE, m -> queue.read()));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.PRESENCE, m -> presence.read()));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.AGENT + agentId,
                    m -> watch(m.body().getString("conversationId"), m.body().getLong("seq", 0L) - 1)));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.RESYNC, m -> readAll()));
            // pings keep the idle timeout away; presence that timed out is noticed here too
            pingTimer = vertx.setPeriodic(CustomerEvents.PING_MILLIS, t -> {
                if (!closed) {
                    ws.writePing(Buffer.buffer("keel"));
                }
                readAll();
            });
            live.add(this);
            queue.read();
            presence.read();
        }

        /**
         * A frame over the frame limit (Netty refuses it) or a message over the message limit (Vert.x
         * refuses it) closes the socket with 1009, so the console knows to send less, not to retry.
         */
        private void failed(Throwable e) {
            boolean tooBig = e instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException corrupt
                    ? corrupt.closeStatus().code() == MESSAGE_TOO_BIG
                    : e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size");
            if (tooBig && !ws.isClosed()) {
                ws.close(MESSAGE_TOO_BIG, "frames over " + MAX_FRAME_BYTES + " or messages over " + MAX_MESSAGE_BYTES + " bytes");
            } else if (!ws.isClosed()) {
                LOG.info("agent socket of {} failed: {}", agentId, e.toString());
                ws.close();
            }
            close();
        }

        private void readAll() {
            queue.read();
            presence.read();
            watched.values().forEach(w -> w.reader.read());
        }

        // --- what the console sends

        private void received(String text) {
            if (text.length() > MAX_TEXT_CHARS) {
                error("text_too_long", "a frame may hold at most " + MAX_TEXT_CHARS + " characters");
                return;
            }
            JsonObject frame;
            try {
                frame = new JsonObject(text);
            } catch (DecodeException | ClassCastException e) {
                error("malformed_json", "a frame must be a JSON object");
                return;
            }
            String type = frame.getValue("type") instanceof String t ? t : "";
            Object value = frame.getValue("conversationId");
            String id = value instanceof String s && CONVERSATION_ID.matcher(s).matches() ? s : null;
            if (!Set.of("watch", "unwatch", "typing").contains(type)) {
                error("unknown_type", "type must be watch, unwatch or typing");
            } else if (id == null) {
                error("invalid_conversation_id", "conversationId must name a conversation");
            } else if (type.equals("watch")) {
                Object after = frame.getValue("after");
                watchChecked(id, after instanceof Number n ? n.longValue() : null);
            } else if (type.equals("unwatch")) {
                unwatch(id);
            } else {
                typing(id);
            }
        }

        /** Watches a conversation that exists, from {@code after} (or from now when null). */
        private void watchChecked(String id, Long after) {
            if (watched.containsKey(id)) {
                return;
            }
            if (watched.size() >= MAX_WATCHED) {
                error("too_many_watched", "watch at most " + MAX_WATCHED + " conversations at once");
                return;
            }
            vertx.executeBlocking(() -> {
                if (store.conversation(id).isEmpty()) {
                    return null;
                }
                return after != null ? after : store.call(j -> j.llen(Store.conversationKey(id) + ":log")) - 1;
            }, false).onComplete(found -> {
                if (closed) {
                    return;
                }
                if (found.failed()) {
                    error("unavailable", "the conversation cannot be read right now; try again");
                } else if (found.result() == null) {
                    error("conversation_not_found", "no conversation with that id");
                } else {
                    watch(id, found.result());
                }
            });
        }

        private void watch(String id, long after) {
            if (closed || id == null || watched.containsKey(id)) {
                return;
            }
            Watch watch = new Watch(id, after);
            watched.put(id, watch);
            watch.consumer = vertx.eventBus().<JsonObject>localConsumer(ChangeBus.CONVERSATION + id, m -> {
                if (!"typing".equals(m.body().getString("kind"))) {
                    watch.reader.read();
                }
            });
            watch.reader.read();
        }

        private void unwatch(String id) {
            Watch watch = watched.remove(id);
            if (watch != null) {
                watch.consumer.unregister();
            }
        }

        /** Tells the customer that the agent is typing, if the conversation is the agent's; at most every 1.5 s. */
        private void typing(String id) {
            long now = System.currentTimeMillis();
            Long last = typedAt.get(id);
            if (last != null && now - last < TYPING_EVERY_MILLIS) {
                return;
            }
            typedAt.put(id, now);
            vertx.executeBlocking(() -> {
                String owner = store.conversation(id).map(c -> c.get("owner")).orElse("");
                if (!owner.equals(Handoffs.owner(agentId))) {
                    return false;
                }
                store.announce(ChangeBus.typing(id, handoffs.agentName(agentId)));
                return true;
            }, false).onComplete(done -> {
                if (done.succeeded() && !done.result()) {
                    error("not_allowed", "the conversation is not yours");
                }
            });
        }

        // --- what the socket pushes

        private JsonObject readQueue() {
            return new JsonObject().put("type", "queue").put("items",
                    desk.queue(System.currentTimeMillis()).getJsonArray("handoffs"));
        }

        private JsonObject readPresence() {
            return new JsonObject().put("type", "presence").put("agents",
                    desk.presence(System.currentTimeMillis()).getJsonArray("agents"));
        }

        /** One watched conversation: the last seq sent and the last status sent. */
        private final class Watch {
            final String id;
            long lastSeq;
            String lastStatus = "";
            MessageConsumer<JsonObject> consumer;
            final Reader reader;

            Watch(String id, long after) {
                this.id = id;
                this.lastSeq = after;
                this.reader = new Reader(this::read);
            }

            /** Reads what is new and returns nothing: the frames are sent from here, in order, on the context. */
            private JsonObject read() {
                JsonArray messages = store.transcriptAfter(id, lastSeq);
                JsonObject status = chat.status(id, System.currentTimeMillis());
                context.runOnContext(v -> {
                    if (closed || watched.get(id) != this) {
                        return;
                    }
                    for (Object m : messages) {
                        JsonObject message = (JsonObject) m;
                        if (message.getLong("seq") > lastSeq) {
                            lastSeq = message.getLong("seq");
                            send(new JsonObject().put("type", "message").put("conversationId", id).put("message", message));
                        }
                    }
                    String encoded = status.encode();
                    if (!encoded.equals(lastStatus)) {
                        lastStatus = encoded;
                        send(new JsonObject().put("type", "status").put("conversationId", id).put("status", status));
                    }
                });
                return null;
            }
        }

        /**
         * Reads one thing (the queue, presence, a watched conversation) on a worker, one read at a time; a
         * change during a read makes one more read after it. A frame is sent only when it differs from
         * the last one of its kind.
         */
        private final class Reader {
            private final java.util.concurrent.Callable<JsonObject> work;
            private boolean reading;
            private boolean again;
            private String last = "";

            Reader(java.util.concurrent.Callable<JsonObject> work) {
                this.work = work;
            }

            void read() {
                if (closed) {
                    return;
                }
                if (reading) {
                    again = true;
                    return;
                }
                reading = true;
                vertx.executeBlocking(work, false).onComplete(result -> {
                    reading = false;
                    if (closed) {
                        return;
                    }
                    if (result.succeeded() && result.result() != null) {
                        String frame = result.result().encode();
                        if (!frame.equals(last)) {
                            last = frame;
                            sendText(frame);
                        }
                    } else if (result.failed()) {
                        LOG.debug("agent socket of {} could not read: {}", agentId, result.cause().toString());
                    }
                    if (again) {
                        again = false;
                        read();
                    }
                });
            }
        }

        private void error(String code, String message) {
            send(new JsonObject().put("type", "error").put("code", code).put("message", message));
        }

        private void send(JsonObject frame) {
            sendText(frame.encode());
        }

        /** Writes, unless the console has stopped reading: then the socket is closed, and it resumes by seq. */
        private void sendText(String text) {
            if (closed || ws.isClosed()) {
                close();
                return;
            }
            if (ws.writeQueueFull()) {
                LOG.info("agent socket of {} is not being read; closing it", agentId);
                close();
                ws.close(TRY_AGAIN_LATER, "not reading");
                return;
            }
            ws.writeTextMessage(text);
        }

        @Override
        public void sayGoodbye() {
            context.runOnContext(v -> {
                if (!closed) {
                    close();
                    ws.close(GOING_AWAY, "reconnect");
                }
            });
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            live.remove(this);
            vertx.cancelTimer(pingTimer);
            consumers.forEach(MessageConsumer::unregister);
            watched.values().forEach(w -> w.consumer.unregister());
            watched.clear();
        }
    }
}

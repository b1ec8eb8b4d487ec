package dev.keel.server;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/conversations/{id}/events}: the customer's live view of a conversation as
 * Server-Sent Events. The transcript after {@code Last-Event-ID} (or {@code ?after=}) comes first,
 * then each new message as it is stored on any node, in order, each once ({@code id:} is its
 * {@code seq}); {@code status} at connect and when it changes; {@code typing} while an agent types;
 * a {@code : ping} comment every 15 s; {@code reconnect} when the node stops.
 *
 * <p>Nothing is pushed from memory: a change only makes the stream read the transcript after the
 * last seq it sent, so a missed change notice (Redis restarted, a node died between storing and
 * announcing) costs a delay until the next notice or ping, never a message.
 */
final class CustomerEvents {
    private static final Logger LOG = LoggerFactory.getLogger(CustomerEvents.class);
    static final long PING_MILLIS = 15_000;
    /** Bytes Vert.x may hold for a client that does not read before the client is dropped; it resumes by seq. */
    static final int WRITE_QUEUE_BYTES = 64 * 1024;
    private static final Pattern SEQ = Pattern.compile("-1|\\d{1,18}");

    private final Vertx vertx;
    private final ChatService chat;
    private final Store store;
    private final LiveConnections live;

    CustomerEvents(Vertx vertx, ChatService chat, Store store, LiveConnections live) {
        this.vertx = vertx;
        this.chat = chat;
        this.store = store;
        this.live = live;
    }

    void register(Router router) {
        router.get("/api/v1/conversations/:id/events").handler(this::open);
    }

    /** What a stream sends when it (re)reads: the new messages and the current status. */
    private record Update(JsonArray messages, JsonObject status) {
    }

    private void open(RoutingContext ctx) {
        String id = HttpApi.conversationId(ctx);
        String token = HttpApi.bearer(ctx);
        long after = afterSeq(ctx);
        HttpApi.blocking(vertx, ctx, () -> read(id, token, after))
                .onSuccess(first -> new Stream(ctx, id, token, after).begin(first));
    }

    private Update read(String id, String token, long after) {
        chat.authorize(id, token);
        return new Update(store.transcriptAfter(id, after), chat.status(id, System.currentTimeMillis()));
    }

    /** The last seq the client has: {@code Last-Event-ID}, else {@code ?after=}, else none (-1). */
    private static long afterSeq(RoutingContext ctx) {
        String value = ctx.request().getHeader("Last-Event-ID");
        if (value == null || value.isBlank()) {
            value = ctx.request().getParam("after");
        }
        if (value == null || value.isBlank()) {
            return -1;
        }
        if (!SEQ.matcher(value.strip()).matches()) {
            throw new ApiException(400, "invalid_last_event_id", "Last-Event-ID (or after) must be a message seq, a whole number");
        }
        return Long.parseLong(value.strip());
    }

    /** One open stream. Everything but the Redis reads runs on the request's event-loop context. */
    private final class Stream implements LiveConnections.Live {
        private final HttpServerResponse response;
        private final Context context;
        private final String id;
        private final String token;
        private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
        private long lastSeq;
        private String lastStatus = "";
        private long pingTimer = -1;
        private boolean reading;
        private boolean readAgain;
        private boolean closed;

        Stream(RoutingContext ctx, String id, String token, long after) {
            this.response = ctx.response();
            this.context = vertx.getOrCreateContext();
            this.id = id;
            this.token = token;
            this.lastSeq = after;
        }

        void begin(Update first) {
            response.setChunked(true).setWriteQueueMaxSize(WRITE_QUEUE_BYTES)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
            response.closeHandler(v -> close());
            response.exceptionHandler(e -> close());
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.CONVERSATION + id, m -> changed(m.body())));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.QUEUE, m -> refresh()));
            consumers.add(vertx.eventBus().<JsonObject>localConsumer(ChangeBus.RESYNC, m -> refresh()));
            pingTimer = vertx.setPeriodic(PING_MILLIS, t -> {
                send(": ping\n\n");
                refresh();
            });
            live.add(this);
            apply(first);
            // a change stored between the first read and the consumers' registration is read now
            refresh();
        }

        private void changed(JsonObject change) {
            if ("typing".equals(change.getString("kind"))) {
                send(event("typing", null, new JsonObject().put("role", "agent").put("agentName", change.getString("agentName"))));
            } else {
                refresh();
            }
        }

        /** Reads what is new, one read at a time; a change during a read makes one more read after it. */
        private void refresh() {
            if (closed) {
                return;
            }
            if (reading) {
                readAgain = true;
                return;
            }
            reading = true;
            long after = lastSeq;
            vertx.executeBlocking(() -> read(id, token, after), false).onComplete(result -> {
                reading = false;
                if (closed) {
                    return;
                }
                if (result.failed()) {
                    if (result.cause() instanceof ApiException refused) {
                        // the token expired while the stream was open
                        send(event("error", null, new JsonObject().put("code", refused.code()).put("message", refused.getMessage())));
                        end();
                        return;
                    }
                    LOG.debug("event stream of {} could not read: {}", id, result.cause().toString());
                    return;
                }
                apply(result.result());
                if (readAgain) {
                    readAgain = false;
                    refresh();
                }
            });
        }

        private void apply(Update update) {
            for (Object m : update.messages()) {
                JsonObject message = (JsonObject) m;
                long seq = message.getLong("seq");
                if (seq > lastSeq) {
                    lastSeq = seq;
                    send(event("message", Long.toString(seq), message));
                }
            }
            String status = update.status().encode();
            if (!status.equals(lastStatus)) {
                lastStatus = status;
                send(event("status", null, update.status()));
            }
        }

        /** Writes, unless the client has stopped reading: then it is dropped, and resumes by seq when it comes back. */
        private void send(String text) {
            if (closed) {
                return;
            }
            if (response.writeQueueFull()) {
                LOG.info("event stream of {} is not being read; dropping it", id);
                close();
                response.reset();
                return;
            }
            response.write(text);
        }

        @Override
        public void sayGoodbye() {
            context.runOnContext(v -> {
                send(event("reconnect", null, new JsonObject()));
                end();
            });
        }

        private void end() {
            if (!closed) {
                close();
                response.end();
            }
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            live.remove(this);
            vertx.cancelTimer(pingTimer);
            consumers.forEach(MessageConsumer::unregister);
        }
    }

    static String event(String name, String id, JsonObject data) {
        StringBuilder out = new StringBuilder("event: ").append(name).append('\n');
        if (id != null) {
            out.append("id: ").append(id).append('\n');
        }
        return out.append("data: ").append(data.encode()).append("\n\n").toString();
    }
}

package dev.keel.server;

import dev.keel.server.llm.ReplyStream;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/v1/conversations/{id}/messages/stream}: the same turn as the JSON route, with
 * the reply streamed as Server-Sent Events: {@code start}, {@code delta}s of text, then
 * {@code citations}, {@code decision} and {@code end} with the stored reply; or {@code error}. Every
 * stream ends with {@code end} or {@code error}. The turn is stored, exactly as by the JSON route,
 * before {@code end} is sent. When the streamed text is not the reply that was stored (the model
 * failed mid-way, or its reply was stopped), an {@code incomplete} event tells the client to drop
 * what it has shown, and the stored reply follows as one {@code delta}.
 *
 * <p>A request refused before any event (bad body, wrong token, unknown conversation) gets the
 * usual JSON error with its HTTP status.
 */
final class StreamingRoute {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingRoute.class);
    /** A turn waits on the model for its whole length: such waits get their own threads, not the shared workers. */
    private static final int STREAMING_THREADS = 256;
    /** What Vert.x may queue for a client before {@link HttpServerResponse#writeQueueFull()} says stop. */
    private static final int WRITE_QUEUE_BYTES = 16 * 1024;
    /** Text held for a client that does not read; past this the client is treated as gone. */
    static final int MAX_PENDING_CHARS = 64 * 1024;

    private final Vertx vertx;
    private final ChatService chat;
    private final WorkerExecutor workers;

    StreamingRoute(Vertx vertx, ChatService chat) {
        this.vertx = vertx;
        this.chat = chat;
        this.workers = vertx.createSharedWorkerExecutor("keel-streaming", STREAMING_THREADS);
    }

    void register(Router router) {
        router.post("/api/v1/conversations/:id/messages/stream").handler(this::stream);
    }

    private void stream(RoutingContext ctx) {
        String id = HttpApi.conversationId(ctx);
        JsonObject body = HttpApi.requiredJson(ctx);
        String text = HttpApi.string(body, "text");
        String clientMessageId = HttpApi.string(body, "clientMessageId");
        String token = HttpApi.bearer(ctx);
        Events events = new Events(ctx.response(), vertx.getOrCreateContext(), clientMessageId);
        workers.<JsonObject>executeBlocking(() -> chat.turn(id, token, text, clientMessageId, events), false)
                .onComplete(result -> {
                    if (result.succeeded()) {
                        events.finish(result.result());
                    } else if (!events.started) {
                        ctx.fail(result.cause());
                    } else {
                        events.error(result.cause());
                    }
                });
    }

    /** The event stream of one turn. All writes happen on the request's event-loop context. */
    private static final class Events implements ReplyStream {
        private final HttpServerResponse response;
        private final Context context;
        private final String clientMessageId;
        private final CompletableFuture<Void> gone = new CompletableFuture<>();
        private final StringBuilder streamed = new StringBuilder();
        private final StringBuilder pending = new StringBuilder();
        /** Text from the model's thread not yet taken over by the event loop; guards {@link #handOverQueued}. */
        private final StringBuilder arriving = new StringBuilder();
        private boolean handOverQueued;
        private boolean started;

        Events(HttpServerResponse response, Context context, String clientMessageId) {
            this.response = response;
            this.context = context;
            this.clientMessageId = clientMessageId;
            response.closeHandler(v -> gone.complete(null));
            response.exceptionHandler(e -> gone.complete(null));
        }

        @Override
        public boolean live() {
            return true;
        }

        @Override
        public CompletableFuture<Void> gone() {
            return gone;
        }

        /**
         * Pieces that arrive while an earlier one still waits for the event loop go out with it, as one
         * {@code delta}: a model that sends its reply in a burst costs one write, not one per word.
         */
        @Override
        public void delta(String text) {
            synchronized (arriving) {
                arriving.append(text);
                if (handOverQueued) {
                    return;
                }
                handOverQueued = true;
            }
            context.runOnContext(v -> {
                String batch;
                synchronized (arriving) {
                    batch = arriving.toString();
                    arriving.setLength(0);
                    handOverQueued = false;
                }
                // a late piece from an abandoned model call may come after the reply was sent
                if (gone.isDone() || response.ended()) {
                    return;
                }
                start();
                streamed.append(batch);
                pending.append(event("delta", new JsonObject().put("text", batch)));
                flush();
                if (pending.length() > MAX_PENDING_CHARS) {
                    LOG.info("client of turn {} is not reading; giving up on it", clientMessageId);
                    gone.complete(null);
                    response.reset();
                }
            });
        }

        /** Writes what is pending unless the client's queue is full; then waits for it to drain. */
        private void flush() {
            if (pending.length() == 0) {
                return;
            }
            if (response.writeQueueFull()) {
                response.drainHandler(v -> flush());
                return;
            }
            response.write(pending.toString());
            pending.setLength(0);
        }

        private void start() {
            if (started) {
                return;
            }
            started = true;
            response.setChunked(true).setWriteQueueMaxSize(WRITE_QUEUE_BYTES)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
            response.write(event("start", new JsonObject().put("clientMessageId", clientMessageId)));
        }

        /** The turn is stored: send the stored reply's closing events. */
        void finish(JsonObject reply) {
            if (gone.isDone()) {
                return;
            }
            start();
            String text = reply.getString("text", "");
            if (!streamed.toString().strip().equals(text.strip())) {
                if (streamed.length() > 0) {
                    pending.append(event("incomplete", new JsonObject().put("reason", "the streamed text was replaced")));
                }
                pending.append(event("delta", new JsonObject().put("text", text)));
            }
            pending.append(event("citations", new JsonObject().put("citations", reply.getJsonArray("citations"))));
            pending.append(event("decision", new JsonObject().put("decision", reply.getString("decision"))
                    .put("reasons", reply.getJsonArray("reasons"))));
            JsonObject end = new JsonObject().put("reply", reply);
            // the transcript positions of the turn's messages, for a client that follows the event stream
            for (String seq : new String[]{"customerSeq", "replySeq"}) {
                if (reply.containsKey(seq)) {
                    end.put(seq, reply.getValue(seq));
                }
            }
            pending.append(event("end", end));
            response.end(pending.toString());
            pending.setLength(0);
        }

        void error(Throwable failure) {
            if (gone.isDone()) {
                return;
            }
            ApiException error = failure instanceof ApiException api ? api
                    : new ApiException(503, "unavailable", "Keel could not finish the reply; try again");
            if (!(failure instanceof ApiException)) {
                LOG.error("streamed turn {} failed", clientMessageId, failure);
            }
            if (streamed.length() > 0) {
                pending.append(event("incomplete", new JsonObject().put("reason", "the reply was not finished")));
            }
            pending.append(event("error", new JsonObject().put("code", error.code()).put("message", error.getMessage())));
            response.end(pending.toString());
            pending.setLength(0);
        }

        private static String event(String name, JsonObject data) {
            return "event: " + name + "\ndata: " + data.encode() + "\n\n";
        }
    }
}

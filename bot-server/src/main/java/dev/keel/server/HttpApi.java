package dev.keel.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Keel's HTTP surface: the chat API, the hand-off queue, health checks and the demo page. Request
 * work that blocks (Redis, Lucene) runs on worker threads, never on the event loop.
 */
final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    /** Bodies larger than this are refused before they are read. */
    static final long MAX_BODY_BYTES = 64 * 1024;
    private static final Pattern CONVERSATION_ID = Pattern.compile("[0-9a-f-]{36}");
    private static final String JSON = "application/json; charset=utf-8";

    private final Vertx vertx;
    private final ChatService chat;
    private final Store store;
    private final String agentToken;
    private final AdminArticlesApi admin;

    HttpApi(Vertx vertx, ChatService chat, Store store, String agentToken, AdminArticlesApi admin) {
        this.vertx = vertx;
        this.chat = chat;
        this.store = store;
        this.agentToken = agentToken;
        this.admin = admin;
    }

    /** A route guard that lets a request through only with this bearer token. */
    static io.vertx.core.Handler<RoutingContext> requireToken(String token) {
        return ctx -> {
            if (token.equals(bearer(ctx))) {
                ctx.next();
            } else {
                fail(ctx, new ApiException(401, "invalid_token", "a valid bearer token is required"));
            }
        };
    }

    Router router() {
        Router router = Router.router(vertx);
        admin.register(router);
        router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.post("/api/v1/conversations").handler(this::openConversation);
        router.post("/api/v1/conversations/:id/messages").handler(this::postMessage);
        router.get("/api/v1/conversations/:id/messages").handler(this::transcript);
        router.get("/api/v1/handoffs").handler(this::queue);
        router.route("/api/*").handler(ctx -> fail(ctx, new ApiException(404, "not_found", "no such API route")));

        router.get("/health/live").handler(HealthCheckHandler.create(vertx)
                .register("event-loop", promise -> promise.complete(Status.OK())));
        router.get("/health/ready").handler(HealthCheckHandler.create(vertx)
                .register("redis", 2000, promise -> vertx.executeBlocking(store::ping, false)
                        .onComplete(r -> promise.complete(r.succeeded() && r.result() ? Status.OK() : Status.KO()))));

        router.route("/*").handler(StaticHandler.create("keel/web").setCachingEnabled(false));
        router.route().failureHandler(this::failure);
        return router;
    }

    private void openConversation(RoutingContext ctx) {
        JsonObject body = optionalJson(ctx);
        Object customerId = body.getValue("customerId");
        if (customerId != null && !(customerId instanceof String)) {
            throw new ApiException(400, "invalid_customer_id", "customerId must be a string");
        }
        blocking(ctx, () -> chat.open((String) customerId))
                .onSuccess(created -> send(ctx, 201, created));
    }

    private void postMessage(RoutingContext ctx) {
        String id = conversationId(ctx);
        JsonObject body = requiredJson(ctx);
        String text = string(body, "text");
        String clientMessageId = string(body, "clientMessageId");
        String token = bearer(ctx);
        blocking(ctx, () -> chat.turn(id, token, text, clientMessageId))
                .onSuccess(reply -> send(ctx, 200, new JsonObject().put("reply", reply)));
    }

    private void transcript(RoutingContext ctx) {
        String id = conversationId(ctx);
        String token = bearer(ctx);
        blocking(ctx, () -> chat.transcript(id, token))
                .onSuccess(messages -> send(ctx, 200, new JsonObject().put("conversationId", id).put("messages", messages)));
    }

    private void queue(RoutingContext ctx) {
        if (!agentToken.equals(bearer(ctx))) {
            throw new ApiException(401, "invalid_agent_token", "an agent token is required");
        }
        blocking(ctx, () -> store.queue(100))
                .onSuccess(entries -> send(ctx, 200, new JsonObject().put("handoffs", entries)));
    }

    private <T> Future<T> blocking(RoutingContext ctx, Callable<T> work) {
        return vertx.executeBlocking(work, false).onFailure(ctx::fail);
    }

    private static String conversationId(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (id == null || !CONVERSATION_ID.matcher(id).matches()) {
            throw new ApiException(404, "conversation_not_found", "no conversation with that id");
        }
        return id;
    }

    private static String bearer(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return header.substring(7).strip();
    }

    static JsonObject requiredJson(RoutingContext ctx) {
        if (ctx.body().isEmpty()) {
            throw new ApiException(400, "missing_body", "a JSON object body is required");
        }
        return optionalJson(ctx);
    }

    static JsonObject optionalJson(RoutingContext ctx) {
        if (ctx.body().isEmpty()) {
            return new JsonObject();
        }
        try {
            Object value = ctx.body().buffer().toJsonValue();
            if (value instanceof JsonObject object) {
                return object;
            }
        } catch (DecodeException e) {
            throw new ApiException(400, "malformed_json", "the body is not valid JSON");
        }
        throw new ApiException(400, "malformed_json", "the body must be a JSON object");
    }

    private static String string(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value != null && !(value instanceof String)) {
            throw new ApiException(400, "invalid_" + snake(field), field + " must be a string");
        }
        return (String) value;
    }

    private static String snake(String field) {
        return field.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static void send(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        ApiException error;
        if (failure instanceof ApiException api) {
            error = api;
        } else if (ctx.statusCode() == 413) {
            error = new ApiException(413, "body_too_large", "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error = new ApiException(ctx.statusCode(), "bad_request", "the request was not understood");
        } else {
            LOG.error("request failed: {} {}", ctx.request().method(), ctx.request().path(), failure);
            error = new ApiException(503, "unavailable", "Keel could not handle the request right now; try again");
        }
        if (ctx.response().ended()) {
            return;
        }
        if (error.status() == 413) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        send(ctx, error.status(), new JsonObject().put("error",
                new JsonObject().put("code", error.code()).put("message", error.getMessage())));
    }

    static void fail(RoutingContext ctx, ApiException e) {
        ctx.fail(e);
    }
}

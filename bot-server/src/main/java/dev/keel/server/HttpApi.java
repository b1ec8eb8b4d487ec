package dev.keel.server;

import dev.keel.kb.ArticleService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
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
import org.slf4j.MDC;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
    /** A caller's request id is echoed and logged when it is this tame; otherwise Keel makes one. */
    private static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Vertx vertx;
    private final ChatService chat;
    private final Store store;
    private final AgentApi agents;
    private final KeelMetrics metrics;
    private final EdgePolicy edge;
    private final ConsoleAuth auth;
    private final CustomerIdentity identity;
    private final AdminArticlesApi articles;
    private final RealTime realTime;
    private final AdminConsoleApi console;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param agents       the agent API, behind the agent role
     * @param articles     the article store, edited through the admin API
     * @param console      the admin console's routes (try the bot, settings, prompts, reports)
     * @param serviceToken the machine-to-machine agent bearer token, or null for none
     * @param realTime     the customer's event stream and the agent socket
     */
    HttpApi(Vertx vertx, ChatService chat, Store store, AgentApi agents, ArticleService articles, AdminConsoleApi console,
            KeelMetrics metrics, SecuritySettings security, CustomerIdentity identity, String serviceToken, RealTime realTime) {
        this.vertx = vertx;
        this.chat = chat;
        this.store = store;
        this.agents = agents;
        this.metrics = metrics;
        this.edge = new EdgePolicy(security);
        this.auth = new ConsoleAuth(store, security, serviceToken, this::blocking);
        this.identity = identity;
        this.articles = new AdminArticlesApi(vertx, articles, auth.requireRole(Role.ADMIN));
        this.realTime = realTime;
        this.console = console;
    }

    /** Sign-in, sessions and the role guards ({@code auth().requireRole(Role.AGENT)}) for routes of other files. */
    ConsoleAuth auth() {
        return auth;
    }

    Router router() {
        Router router = Router.router(vertx);
        edge.mount(router);
        router.route("/api/*").handler(this::admit);
        // before the API-wide body limit, which would otherwise refuse the larger bodies of articles
        articles.register(router);
        // a WebSocket upgrade must not be read by the body handler; the routes check their callers themselves
        realTime.register(router, auth);
        // a form body on a customer route is a mistake (curl -d) or another site's form: say so
        // before the body handler tries to read it as a form
        router.route("/api/v1/conversations*").handler(HttpApi::refuseNonJsonBodies);
        router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        auth.mount(router);
        if (identity.demoSignerOn()) {
            router.post("/api/v1/dev/identity-token").handler(this::demoIdentityToken);
        }
        router.post("/api/v1/conversations").handler(this::openConversation);
        router.post("/api/v1/conversations/:id/messages").handler(this::postMessage);
        new StreamingRoute(vertx, chat).register(router);
        router.get("/api/v1/conversations/:id/messages").handler(this::transcript);
        new RatingRoute(vertx, chat, store, chat.auditEntries()).register(router);
        router.put("/api/v1/customers/:id").handler(auth.requireRole(Role.AGENT));
        new CustomersApi(vertx, chat.churn(), ConsoleAuth::mayUpdateCustomers).register(router);
        agents.register(router, auth);
        console.register(router);
        router.route("/api/*").handler(ctx -> fail(ctx, new ApiException(404, "not_found", "no such API route")));

        router.get("/health/live").handler(HealthCheckHandler.create(vertx)
                .register("event-loop", promise -> promise.complete(Status.OK())));
        router.get("/health/ready").handler(HealthCheckHandler.create(vertx)
                .register("accepting", promise -> promise.complete(draining.get() ? Status.KO() : Status.OK()))
                .register("redis", 2000, promise -> vertx.executeBlocking(store::ping, false)
                        .onComplete(r -> promise.complete(r.succeeded() && r.result() ? Status.OK() : Status.KO()))));
        router.get("/metrics").handler(metrics.scrapeHandler());

        router.route("/*").handler(StaticHandler.create("keel/web").setCachingEnabled(false));
        router.route().failureHandler(this::failure);
        for (int status : new int[]{400, 403, 404, 405, 413, 415}) {
            router.errorHandler(status, this::failure);
        }
        return router;
    }

    /**
     * Counts the API requests in flight, so that a shutdown can wait for them, and refuses new
     * conversations once the server is draining; conversations already open carry on.
     */
    private void admit(RoutingContext ctx) {
        if (draining.get() && ctx.request().method() == HttpMethod.POST && ctx.request().path().equals("/api/v1/conversations")) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
            throw new ApiException(503, "shutting_down", "this Keel node is shutting down; try again in a few seconds");
        }
        String requestId = ctx.request().getHeader(REQUEST_ID);
        if (requestId == null || !SAFE_REQUEST_ID.matcher(requestId).matches()) {
            requestId = UUID.randomUUID().toString();
        }
        ctx.put(REQUEST_ID, requestId);
        ctx.response().putHeader(REQUEST_ID, requestId);
        // a WebSocket lives on after its upgrade request; a stopping node closes sockets itself
        if (!"websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) {
            inFlight.incrementAndGet();
            ctx.addEndHandler(ended -> inFlight.decrementAndGet());
        }
        ctx.next();
    }

    /**
     * Turns readiness off and refuses new conversations, serves the open ones for {@code delay},
     * then waits until the requests in flight have ended or {@code patience} is up.
     *
     * @return the requests still in flight when it stopped waiting
     */
    int drain(Duration delay, Duration patience) throws InterruptedException {
        draining.set(true);
        Thread.sleep(delay.toMillis());
        // event streams and sockets never end by themselves: tell them to reconnect to another node
        realTime.closeAll();
        long deadline = System.nanoTime() + patience.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return inFlight.get();
    }

    private void openConversation(RoutingContext ctx) {
        JsonObject body = optionalJson(ctx);
        CustomerIdentity.Who who = identity.resolve(string(body, "identityToken"), string(body, "customerId"));
        blocking(ctx, () -> chat.open(who))
                .onSuccess(created -> send(ctx, 201, created));
    }

    private void postMessage(RoutingContext ctx) {
        String id = conversationId(ctx);
        JsonObject body = requiredJson(ctx);
        String text = string(body, "text");
        String clientMessageId = string(body, "clientMessageId");
        String token = bearer(ctx);
        blocking(ctx, () -> chat.turn(id, token, text, clientMessageId))
                .onSuccess(reply -> {
                    metrics.turn(reply);
                    send(ctx, 200, new JsonObject().put("reply", reply));
                });
    }

    private void transcript(RoutingContext ctx) {
        String id = conversationId(ctx);
        String token = bearer(ctx);
        blocking(ctx, () -> chat.transcript(id, token))
                .onSuccess(messages -> send(ctx, 200, new JsonObject().put("conversationId", id).put("messages", messages)));
    }

    /** Development only: a signed identity token for any customer id, so the demo page can chat as a customer. */
    private void demoIdentityToken(RoutingContext ctx) {
        String customerId = string(requiredJson(ctx), "customerId");
        if (customerId == null || customerId.isBlank()) {
            throw new ApiException(400, "missing_customer_id", "customerId is required");
        }
        send(ctx, 200, new JsonObject().put("identityToken", identity.signForDemo(customerId)));
    }

    private <T> Future<T> blocking(RoutingContext ctx, Callable<T> work) {
        return blocking(vertx, ctx, work);
    }

    /**
     * Runs request work on a worker thread, with the request and conversation ids in the log
     * context; a failure fails the request. Every route's blocking work goes through here.
     */
    static <T> Future<T> blocking(Vertx vertx, RoutingContext ctx, Callable<T> work) {
        Map<String, String> logContext = logContext(ctx);
        return vertx.executeBlocking(() -> {
            logContext.forEach(MDC::put);
            try {
                return work.call();
            } finally {
                MDC.clear();
            }
        }, false).onFailure(ctx::fail);
    }

    /** What every log line about a request carries: its id and, on conversation routes, the conversation's. */
    private static Map<String, String> logContext(RoutingContext ctx) {
        Map<String, String> context = new HashMap<>();
        String requestId = ctx.get(REQUEST_ID);
        if (requestId != null) {
            context.put("requestId", requestId);
        }
        String conversationId = ctx.pathParam("id");
        if (conversationId != null && CONVERSATION_ID.matcher(conversationId).matches()) {
            context.put("conversationId", conversationId);
        }
        return context;
    }

    static String conversationId(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (id == null || !CONVERSATION_ID.matcher(id).matches()) {
            throw new ApiException(404, "conversation_not_found", "no conversation with that id");
        }
        return id;
    }

    static String bearer(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return header.substring(7).strip();
    }

    /** A body sent with a type other than JSON is refused with 415; one sent with no type is read as JSON. */
    private static void refuseNonJsonBodies(RoutingContext ctx) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        boolean json = type == null || type.isBlank() || type.toLowerCase(Locale.ROOT).startsWith("application/json");
        if (ctx.request().method() != HttpMethod.GET && !json) {
            fail(ctx, new ApiException(415, "json_required", "send the body as application/json"));
            return;
        }
        ctx.next();
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

    static String string(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value != null && !(value instanceof String)) {
            throw new ApiException(400, "invalid_" + snake(field), field + " must be a string");
        }
        return (String) value;
    }

    private static String snake(String field) {
        return field.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    static void send(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader("Cache-Control", "no-store").end(body.encode());
    }

    private void failure(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        ApiException error;
        if (failure instanceof ApiException api) {
            error = api;
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error = clientError(ctx.statusCode());
        } else {
            logContext(ctx).forEach(MDC::put);
            LOG.error("request failed: {} {}", ctx.request().method(), ctx.request().path(), failure);
            MDC.clear();
            error = new ApiException(503, "unavailable", "Keel could not handle the request right now; try again");
        }
        if (ctx.response().ended()) {
            return;
        }
        if (error.status() == 413) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        if (error instanceof TooManyRequests limited) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(limited.retryAfterSeconds()));
        }
        send(ctx, error.status(), new JsonObject().put("error",
                new JsonObject().put("code", error.code()).put("message", error.getMessage())));
    }

    /** A code and a message for the client errors that Vert.x itself raises. */
    private static ApiException clientError(int status) {
        return switch (status) {
            case 403 -> new ApiException(403, "forbidden", "this request is not allowed");
            case 404 -> new ApiException(404, "not_found", "nothing is here");
            case 405 -> new ApiException(405, "method_not_allowed", "this route does not take that method");
            case 413 -> new ApiException(413, "body_too_large", "the request body is larger than " + MAX_BODY_BYTES + " bytes");
            case 415 -> new ApiException(415, "unsupported_media_type", "this route does not take that content type");
            default -> new ApiException(status, "bad_request", "the request was not understood");
        };
    }

    static void fail(RoutingContext ctx, ApiException e) {
        ctx.fail(e);
    }
}

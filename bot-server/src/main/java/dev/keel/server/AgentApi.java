package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * The hand-off routes: the agents' queue, presence and conversation actions, and the customer's
 * view of what happens next (status, follow-up contact). Registered by {@link HttpApi#router()}
 * before its catch-all. The work blocks (Redis) and runs on worker threads.
 */
final class AgentApi {
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    static final String AGENT_HEADER = "X-Keel-Agent";
    private static final Logger LOG = LoggerFactory.getLogger(AgentApi.class);
    private static final long LEASE_CHECK_MILLIS = 5_000;

    private final Vertx vertx;
    private final AgentDesk desk;
    private final ChatService chat;
    private final AgentSuggestions suggestions;

    AgentApi(Vertx vertx, AgentDesk desk, ChatService chat, AgentSuggestions suggestions) {
        this.vertx = vertx;
        this.desk = desk;
        this.chat = chat;
        this.suggestions = suggestions;
    }

    /** Registers the routes; those under {@code /api/v1/agent/} are already behind the agent role guard. */
    void register(Router router, ConsoleAuth auth) {
        router.get("/api/v1/conversations/:id/status").handler(ctx -> {
            String id = HttpApi.conversationId(ctx);
            String token = HttpApi.bearer(ctx);
            respond(ctx, () -> chat.status(id, token));
        });
        router.post("/api/v1/conversations/:id/contact").handler(ctx -> {
            String id = HttpApi.conversationId(ctx);
            String token = HttpApi.bearer(ctx);
            String contact = HttpApi.string(HttpApi.requiredJson(ctx), "email");
            respond(ctx, () -> desk.followUp(id, token, contact, System.currentTimeMillis()));
        });

        router.get("/api/v1/handoffs").handler(auth.requireRole(Role.AGENT))
                .handler(ctx -> agentOnly(ctx, (agent, now) -> desk.queue(now)));
        router.get("/api/v1/agent/queue").handler(ctx -> agentOnly(ctx, (agent, now) -> desk.queue(now)));
        router.get("/api/v1/agent/presence").handler(ctx -> agentOnly(ctx, (agent, now) -> desk.presence(now)));
        router.post("/api/v1/agent/presence").handler(ctx -> {
            JsonObject body = HttpApi.optionalJson(ctx);
            String name = HttpApi.string(body, "name");
            int capacity = body.getValue("capacity") instanceof Integer c && c > 0 && c <= 50 ? c : 1;
            boolean online = !Boolean.FALSE.equals(body.getValue("online"));
            agent(ctx, (agent, now) -> desk.heartbeat(agent, name, capacity, online, now));
        });
        router.get("/api/v1/agent/conversations/:id").handler(ctx -> onConversation(ctx, (agent, id, now) -> desk.view(agent, id, now)));
        router.get("/api/v1/agent/conversations/:id/suggestions").handler(ctx -> onConversation(ctx, (agent, id, now) -> suggestions.suggest(id)));
        router.post("/api/v1/agent/conversations/:id/claim").handler(ctx -> onConversation(ctx, (agent, id, now) -> desk.claim(agent, id, now)));
        router.post("/api/v1/agent/conversations/:id/lease").handler(ctx -> onConversation(ctx, (agent, id, now) -> desk.renew(agent, id, now)));
        router.post("/api/v1/agent/conversations/:id/handback").handler(ctx -> onConversation(ctx, (agent, id, now) -> desk.handBack(agent, id, now)));
        router.post("/api/v1/agent/conversations/:id/messages").handler(ctx -> {
            JsonObject body = HttpApi.requiredJson(ctx);
            String text = HttpApi.string(body, "text");
            String clientMessageId = HttpApi.string(body, "clientMessageId");
            onConversation(ctx, (agent, id, now) -> desk.say(agent, id, text, clientMessageId, now));
        });
        router.post("/api/v1/agent/conversations/:id/transfer").handler(ctx -> {
            String to = HttpApi.string(HttpApi.optionalJson(ctx), "toAgentId");
            if (to != null && !AGENT_ID.matcher(to).matches()) {
                throw new ApiException(400, "invalid_agent_id", "toAgentId must be 1 to 64 letters, digits or . _ @ -");
            }
            onConversation(ctx, (agent, id, now) -> desk.transfer(agent, id, to, now));
        });
        router.post("/api/v1/agent/conversations/:id/resolve").handler(ctx -> {
            String disposition = HttpApi.string(HttpApi.requiredJson(ctx), "disposition");
            onConversation(ctx, (agent, id, now) -> desk.resolve(agent, id, disposition, now));
        });
    }

    /**
     * Returns tickets whose agent vanished (the lease ran out) to the queue every few seconds, so
     * that they move even while nobody looks at the queue; reading the queue or a status does the
     * same on the spot.
     */
    void watchLeases() {
        vertx.setPeriodic(LEASE_CHECK_MILLIS, timer -> vertx.executeBlocking(() -> {
            chat.requeueExpired(System.currentTimeMillis());
            return null;
        }, false).onFailure(e -> LOG.warn("lease check failed: {}", e.toString())));
    }

    /**
     * Who is calling: the signed-in agent's account. A system holding the service token acts for the
     * agent it names in {@value #AGENT_HEADER}.
     */
    static String authenticate(RoutingContext ctx) {
        Accounts.Account account = ConsoleAuth.principal(ctx);
        if (!account.name().equals(ConsoleAuth.SERVICE_ACCOUNT)) {
            return account.name();
        }
        String agent = ctx.request().getHeader(AGENT_HEADER);
        return agent == null ? "" : agent.strip();
    }

    private interface ConversationAction {
        JsonObject apply(String agentId, String conversationId, long now);
    }

    private void agentOnly(RoutingContext ctx, BiFunction<String, Long, JsonObject> work) {
        String agent = authenticate(ctx);
        respond(ctx, () -> work.apply(agent, System.currentTimeMillis()));
    }

    private void agent(RoutingContext ctx, BiFunction<String, Long, JsonObject> work) {
        String agent = authenticate(ctx);
        if (!AGENT_ID.matcher(agent).matches()) {
            throw new ApiException(400, "missing_agent", AGENT_HEADER + " must name the agent (1 to 64 letters, digits or . _ @ -)");
        }
        respond(ctx, () -> work.apply(agent, System.currentTimeMillis()));
    }

    private void onConversation(RoutingContext ctx, ConversationAction action) {
        String id = HttpApi.conversationId(ctx);
        agent(ctx, (agent, now) -> action.apply(agent, id, now));
    }

    private void respond(RoutingContext ctx, Callable<JsonObject> work) {
        HttpApi.blocking(vertx, ctx, work).onSuccess(body -> HttpApi.send(ctx, 200, body));
    }
}

package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an agent does with a hand-off: claim it (with a lease to renew), write to the customer,
 * hand it back to the bot, transfer it, resolve it. Each step checks the owner atomically (see
 * {@link Handoffs}), tells the customer with a system notice and is appended to the audit stream.
 * All methods block: call them off the event loop.
 */
final class AgentDesk {
    static final Set<String> DISPOSITIONS = Set.of("resolved", "retained", "churned", "follow-up");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,24}");

    private final Store store;
    private final Handoffs handoffs;
    private final Notices notices;
    private final ChatService chat;
    private final AgentBriefing briefing;
    private final EscalationConfig config;
    private final Webhooks webhooks;
    private final KeelMetrics metrics;

    AgentDesk(Store store, Handoffs handoffs, Notices notices, ChatService chat, AgentBriefing briefing,
              EscalationConfig config, Webhooks webhooks, KeelMetrics metrics) {
        this.store = store;
        this.handoffs = handoffs;
        this.notices = notices;
        this.chat = chat;
        this.briefing = briefing;
        this.config = config;
        this.webhooks = webhooks;
        this.metrics = metrics;
    }

    JsonObject queue(long now) {
        chat.requeueExpired(now);
        return new JsonObject().put("handoffs", new JsonArray(handoffs.queue(100, now)));
    }

    JsonObject heartbeat(String agentId, String name, int capacity, boolean online, long now) {
        if (online) {
            handoffs.heartbeat(agentId, name == null || name.isBlank() ? agentId : VisitorText.clean(name), capacity, now);
        } else {
            handoffs.signOff(agentId);
        }
        return presence(now);
    }

    JsonObject presence(long now) {
        return new JsonObject().put("agents", handoffs.online(now));
    }

    JsonObject claim(String agentId, String conversationId, long now) {
        chat.requeueExpired(now);
        existing(conversationId);
        Handoffs.Move move = handoffs.claim(conversationId, agentId, notices.agentJoined(handoffs.agentName(agentId), now), now);
        refuseUnless(move, "the conversation is not waiting in the queue");
        if (move.firstClaim()) {
            handoffs.ticket(conversationId).map(t -> t.get("ticket")).map(JsonObject::new).map(t -> t.getLong("createdAt"))
                    .ifPresent(created -> metrics.timeToAgent(Math.max(0, now - created)));
        }
        store.audit("claimed", conversationId, new JsonObject().put("agentId", agentId), config.auditEntries());
        return view(agentId, conversationId, now);
    }

    JsonObject renew(String agentId, String conversationId, long now) {
        existing(conversationId);
        refuseUnless(handoffs.renew(conversationId, agentId, now), "the conversation is not yours");
        return new JsonObject().put("leaseSeconds", config.leaseSeconds());
    }

    JsonObject say(String agentId, String conversationId, String text, String clientMessageId, long now) {
        if (text == null || text.isBlank()) {
            throw new ApiException(400, "missing_text", "text is required and must not be blank");
        }
        if (text.length() > ChatService.MAX_TEXT_CHARS) {
            throw new ApiException(413, "text_too_long", "text is longer than " + ChatService.MAX_TEXT_CHARS + " characters");
        }
        if (clientMessageId == null || clientMessageId.isBlank() || clientMessageId.length() > 128) {
            throw new ApiException(400, "missing_client_message_id", "clientMessageId is required (at most 128 characters)");
        }
        existing(conversationId);
        JsonObject message = new JsonObject().put("role", "agent").put("agentName", handoffs.agentName(agentId))
                .put("text", VisitorText.clean(text)).put("at", now);
        Handoffs.Move sent = handoffs.agentSays(conversationId, agentId, message, clientMessageId, now);
        refuseUnless(sent, "the conversation is not yours");
        if (sent.seq() >= 0) {
            message.put("seq", sent.seq());
        }
        return new JsonObject().put("message", message);
    }

    JsonObject handBack(String agentId, String conversationId, long now) {
        return release(agentId, conversationId, "BOT", "BACK_TO_BOT", notices.backToBot(now), null, "handed-back", now);
    }

    /** To another agent who is online, or back to the queue when none is named. */
    JsonObject transfer(String agentId, String conversationId, String toAgentId, long now) {
        if (toAgentId == null) {
            long position = handoffs.ticket(conversationId).map(t -> t.get("score")).map(Double::parseDouble)
                    .map(handoffs::positionFor).orElse(1L);
            return release(agentId, conversationId, "QUEUE", "WAITING",
                    notices.requeued(position, handoffs.expectedWaitMinutes(position, now), now), null, "transferred", now);
        }
        boolean online = handoffs.online(now).stream().anyMatch(a -> ((JsonObject) a).getString("agentId").equals(toAgentId));
        if (!online) {
            throw new ApiException(409, "agent_offline", "the agent to transfer to is not online");
        }
        return release(agentId, conversationId, Handoffs.owner(toAgentId), "CLAIMED",
                notices.agentJoined(handoffs.agentName(toAgentId), now), null, "transferred", now);
    }

    JsonObject resolve(String agentId, String conversationId, String disposition, long now) {
        if (disposition == null || !DISPOSITIONS.contains(disposition)) {
            throw new ApiException(400, "invalid_disposition", "disposition must be one of " + DISPOSITIONS);
        }
        JsonObject resolved = release(agentId, conversationId, "BOT", "RESOLVED", notices.resolved(now), disposition, "resolved", now);
        webhooks.send(Webhooks.RESOLVED, new JsonObject().put("conversationId", conversationId).put("agentId", agentId)
                .put("disposition", disposition).put("resolvedAt", now));
        return resolved;
    }

    /** The conversation as the agent sees it: the briefing and the whole transcript. */
    JsonObject view(String agentId, String conversationId, long now) {
        Map<String, String> conversation = existing(conversationId);
        return briefing.brief(conversationId, conversation, now)
                .put("owner", conversation.get("owner")).put("yours", Handoffs.owner(agentId).equals(conversation.get("owner")))
                .put("identity", conversation.getOrDefault("identity", "unverified"))
                .put("messages", store.transcript(conversationId));
    }

    /** Records the customer's address for a follow-up ticket when nobody can answer now. */
    JsonObject followUp(String conversationId, String token, String contact, long now) {
        chat.authorize(conversationId, token);
        if (contact == null || !EMAIL.matcher(contact.strip()).matches()) {
            throw new ApiException(400, "invalid_contact", "contact must be an email address");
        }
        String address = contact.strip();
        handoffs.followUp(conversationId, address, notices.followUp(address, now), now);
        store.audit("follow-up-requested", conversationId, new JsonObject(), config.auditEntries());
        return new JsonObject().put("followUpRequested", true);
    }

    private JsonObject release(String agentId, String conversationId, String to, String state, JsonObject notice,
                               String disposition, String event, long now) {
        existing(conversationId);
        refuseUnless(handoffs.move(conversationId, Handoffs.owner(agentId), to, state, notice, disposition, now),
                "the conversation is not yours");
        store.audit(event, conversationId, new JsonObject().put("agentId", agentId).put("to", to)
                .put("disposition", disposition), config.auditEntries());
        return new JsonObject().put("conversationId", conversationId).put("state", state);
    }

    private Map<String, String> existing(String conversationId) {
        return store.conversation(conversationId)
                .orElseThrow(() -> new ApiException(404, "conversation_not_found", "no conversation with that id"));
    }

    private static void refuseUnless(Handoffs.Move move, String message) {
        if (!move.done()) {
            throw new ApiException(409, "not_allowed", message + " (owner: " + describe(move.ownerFound()) + ")");
        }
    }

    private static String describe(String owner) {
        return owner.startsWith("agent:") ? "another agent" : owner.toLowerCase(java.util.Locale.ROOT);
    }
}

package dev.keel.server;

import dev.keel.churn.RiskBand;
import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.SearchHit;
import dev.keel.kb.SearchResult;
import dev.keel.server.llm.Answer;
import dev.keel.server.llm.Answerer;
import dev.keel.server.llm.Question;
import dev.keel.server.llm.ReplyStream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One customer turn from question to stored reply: retrieval, intent, churn risk, the escalation
 * decision, and the atomic write of the turn. All methods block (Redis, Lucene): call them off the
 * event loop.
 */
final class ChatService {
    static final int MAX_TEXT_CHARS = 4000;
    private static final int MAX_CLIENT_ID_CHARS = 128;
    private static final int CITED_ARTICLES = 3;
    private static final String BOT = "BOT";
    private static final String QUEUE = "QUEUE";
    private static final Pattern CUSTOMER_ID = Pattern.compile("[A-Za-z0-9._@:-]{1,64}");

    private final Store store;
    private final KnowledgeBase kb;
    private final ChurnScores churn;
    private final Templates templates;
    private final Escalation escalation;
    private final Answerer answerer;
    private final Duration tokenTtl;
    private final SecureRandom random = new SecureRandom();

    /**
     * What the chat path needs to decide on hand-offs.
     *
     * @param value the customer's value, for the queue priority
     */
    record Escalation(EscalationConfig config, EscalationPolicy policy, IntentClassifier intents, Handoffs handoffs,
                      Notices notices, CustomerValue value) {
    }

    /** @param tokenTtl how long a conversation's token is accepted after the conversation opens */
    ChatService(Store store, KnowledgeBase kb, ChurnScores churn, Templates templates, Escalation escalation,
                Answerer answerer, Duration tokenTtl) {
        this.store = store;
        this.kb = kb;
        this.churn = churn;
        this.templates = templates;
        this.escalation = escalation;
        this.answerer = answerer;
        this.tokenTtl = tokenTtl;
    }

    /** The churn scores this service reads. */
    ChurnScores churn() {
        return churn;
    }

    /**
     * Opens a conversation; the token is returned once and only its hash is kept. Only a verified
     * customer id is stored as {@code customerId}, the one that churn scores and history are read by;
     * an id the visitor merely claimed is kept as {@code claimedCustomerId}, which nothing reads.
     */
    JsonObject open(CustomerIdentity.Who who) {
        for (String customerId : new String[]{who.customerId(), who.claimedCustomerId()}) {
            if (customerId != null && !CUSTOMER_ID.matcher(customerId).matches()) {
                throw new ApiException(400, "invalid_customer_id",
                        "customerId must be 1 to 64 letters, digits or . _ @ : -");
            }
        }
        String id = UUID.randomUUID().toString();
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        long now = System.currentTimeMillis();
        Map<String, String> fields = new HashMap<>(Map.of("tokenHash", sha256(token), "owner", "BOT",
                "createdAt", Long.toString(now), "tokenExpiresAt", Long.toString(now + tokenTtl.toMillis()),
                "identity", who.verified() ? "verified" : "unverified"));
        if (who.verified()) {
            fields.put("customerId", who.customerId());
        } else if (who.claimedCustomerId() != null) {
            fields.put("claimedCustomerId", who.claimedCustomerId());
        }
        store.createConversation(id, fields);
        return new JsonObject().put("conversationId", id).put("token", token)
                .put("identity", fields.get("identity")).put("tokenExpiresAt", now + tokenTtl.toMillis());
    }

    JsonArray transcript(String conversationId, String token) {
        authorize(conversationId, token);
        return store.transcript(conversationId);
    }

    /**
     * Answers one customer message and stores it with its reply before returning the reply. While
     * the conversation waits for or is owned by a person, the message is stored for the agent and
     * the bot writes nothing.
     */
    JsonObject turn(String conversationId, String token, String rawText, String clientMessageId) {
        return turn(conversationId, token, rawText, clientMessageId, ReplyStream.NONE);
    }

    /** As {@link #turn(String, String, String, String)}, passing the reply text on as it is written. */
    JsonObject turn(String conversationId, String token, String rawText, String clientMessageId, ReplyStream stream) {
        validate(rawText, clientMessageId);
        // everything the turn reads from Redis comes in one round trip
        Store.TurnState state = store.turnState(conversationId, clientMessageId);
        Map<String, String> conversation = authorize(state.conversation(), token);
        if (state.earlier().isPresent()) {
            return state.earlier().get();
        }
        String text = VisitorText.clean(rawText);
        long now = System.currentTimeMillis();
        JsonObject customerMessage = new JsonObject().put("role", "customer").put("text", text)
                .put("clientMessageId", clientMessageId).put("at", now);
        if (BOT.equals(conversation.get("owner"))) {
            Optional<JsonObject> answered = botTurn(conversationId, conversation.get("customerId"),
                    conversation.getOrDefault("identity", "unverified"), text, customerMessage, now, state.signals(), stream);
            if (answered.isPresent()) {
                return answered.get();
            }
        }
        return waitingTurn(conversationId, customerMessage, now);
    }

    /** The bot's turn; empty when a person took the conversation over while it was being decided. */
    private Optional<JsonObject> botTurn(String conversationId, String customerId, String identity, String text,
                                         JsonObject customerMessage, long now, List<JsonObject> earlierSignals,
                                         ReplyStream stream) {
        EscalationPolicy policy = escalation.policy();
        SearchResult found = kb.search(text, CITED_ARTICLES);
        IntentClassifier.Reading intent = escalation.intents().read(text);
        JsonObject risk = churn.lookup(customerId);
        RiskBand band = ChurnScores.band(risk);
        TurnHistory history = new TurnHistory(earlierSignals);
        EscalationPolicy.Signals signals = new EscalationPolicy.Signals(intent.intent(), band, found.answerability(),
                found.queryTerms() > 0, Frustration.ofConversation(history.frustrationTexts(), text),
                history.repeatsOf(text), history.failuresInARow());
        EscalationPolicy.Outcome outcome = policy.decide(signals);
        boolean answerable = !found.isEmpty() && policy.covers(found.answerability());
        List<SearchHit> cited = answerable ? found.hits() : List.of();

        JsonObject ticket = null;
        double score = 0;
        JsonObject reply;
        if (outcome.decision() == Decision.HANDOFF) {
            OptionalDouble value = escalation.value().monthlyCharges(customerId);
            score = escalation.handoffs().score(Handoffs.priority(band, risk.getDouble("probability", 0.0), value), now);
            reply = handoffReply(escalation.handoffs().positionFor(score), cited, outcome, now);
            ticket = new JsonObject().put("conversationId", conversationId).put("customerId", customerId)
                    .put("identity", identity)
                    .put("reasons", new JsonArray(outcome.reasons())).put("risk", risk)
                    .put("monthlyCharges", value.isPresent() ? value.getAsDouble() : null).put("createdAt", now);
        } else if (!answerable) {
            String template = outcome.reasons().contains("NOTHING_TO_SEARCH") ? "reply-rephrase"
                    : outcome.reasons().contains("OFF_TOPIC") ? "reply-off-topic" : "reply-not-covered";
            reply = reply(templates.render(template), cited, outcome.decision(), outcome.reasons(), template);
        } else {
            Answer answer = answerer.answer(new Question(text, found.hits(),
                    outcome.decision() == Decision.ANSWER_AND_OFFER_HUMAN, () -> store.transcript(conversationId)), stream);
            List<String> reasons = new ArrayList<>(outcome.reasons());
            reasons.addAll(answer.reasons());
            reply = reply(answer.text(), answer.citations(),
                    answer.offerHuman() ? Decision.ANSWER_AND_OFFER_HUMAN : outcome.decision(), reasons, answer.template());
        }
        reply.put("answerability", found.answerability());
        // the hand-off notice is a system message: it tells what happens next, it is not a bot answer
        JsonObject botMessage = new JsonObject().put("role", ticket == null ? "bot" : "system").put("text", reply.getString("text"))
                .put("citations", reply.getJsonArray("citations")).put("decision", reply.getString("decision"))
                .put("reasons", reply.getJsonArray("reasons")).put("at", System.currentTimeMillis());
        if (ticket != null) {
            botMessage.put("kind", "handoff");
        }
        JsonObject turnSignals = new JsonObject().put("text", text).put("intent", intent.intent().label())
                .put("intentConfidence", ClassMetrics.round(intent.confidence())).put("intentByRule", intent.byRule())
                .put("frustration", ClassMetrics.round(signals.frustration())).put("repeats", signals.repeats())
                .put("failuresBefore", signals.failuresBefore()).put("offTopic", policy.isOffTopic(signals))
                .put("answered", policy.answers(signals)).put("answerability", found.answerability())
                .put("riskBand", band.name()).put("decision", outcome.decision().name())
                .put("reasons", new JsonArray(outcome.reasons())).put("citations", reply.getJsonArray("citations"))
                .put("at", now);
        Store.Recorded recorded = store.recordTurn(conversationId, new Store.Turn(customerMessage.getString("clientMessageId"),
                customerMessage, botMessage, reply, BOT, ticket, score, turnSignals), escalation.config().auditEntries());
        if (recorded.ownerChanged()) {
            return Optional.empty();
        }
        return Optional.of(recorded.earlier().orElse(reply));
    }

    /**
     * The hand-off notice: the place in the queue and the expected wait, or, when nobody can answer
     * now (outside business hours, or no agent online), why not and how to get a follow-up.
     */
    private JsonObject handoffReply(long position, List<SearchHit> cited, EscalationPolicy.Outcome outcome, long now) {
        Optional<String> unstaffed = unstaffed(now);
        String template = unstaffed.isPresent() ? "reply-handoff-unstaffed" : "reply-handoff";
        String text = unstaffed.isPresent()
                ? templates.render(template, Map.of("why", unstaffed.get()))
                : templates.render(template, Map.of("position", Long.toString(position),
                "wait", Long.toString(escalation.handoffs().expectedWaitMinutes(position, now))));
        return reply(text, cited, outcome.decision(), outcome.reasons(), template)
                .put("askForContact", unstaffed.isPresent());
    }

    /** Why no person can answer now, if none can. */
    private Optional<String> unstaffed(long now) {
        if (!escalation.config().hours().isOpen(now)) {
            return Optional.of("our team is outside its working hours right now");
        }
        if (escalation.handoffs().onlineCapacity(now) == 0) {
            return Optional.of("no one from our team is online right now");
        }
        return Optional.empty();
    }

    /** A customer message while a person is due or in charge: stored for the agent, and no bot reply. */
    private JsonObject waitingTurn(String conversationId, JsonObject customerMessage, long now) {
        JsonObject status = status(conversationId, now);
        String reason = "agent".equals(status.getString("owner")) ? "WITH_PERSON" : "WAITING_FOR_PERSON";
        JsonObject reply = new JsonObject().put("text", "").put("citations", new JsonArray())
                .put("decision", Decision.HANDOFF.name()).put("reasons", new JsonArray().add(reason)).put("status", status);
        Store.Recorded recorded = store.recordTurn(conversationId, new Store.Turn(customerMessage.getString("clientMessageId"),
                customerMessage, null, reply, "", null, 0, null), escalation.config().auditEntries());
        return recorded.earlier().orElse(reply);
    }

    /**
     * What happens next for the customer: who has the conversation ({@code bot}, {@code queue} or
     * {@code agent}), the place in the queue and expected wait, and whether anyone can answer now.
     */
    JsonObject status(String conversationId, long now) {
        requeueExpired(now);
        Map<String, String> conversation = store.conversation(conversationId).orElseThrow();
        String owner = conversation.getOrDefault("owner", BOT);
        boolean withAgent = owner.startsWith("agent:");
        JsonObject status = new JsonObject().put("owner", withAgent ? "agent" : owner.toLowerCase(Locale.ROOT))
                .put("agentsOnline", escalation.handoffs().online(now).size())
                .put("open", escalation.config().hours().isOpen(now))
                .put("askForContact", unstaffed(now).isPresent() && QUEUE.equals(owner))
                .put("followUpRequested", conversation.containsKey("contact"));
        if (withAgent) {
            status.put("agentName", escalation.handoffs().agentName(owner.substring("agent:".length())));
        }
        escalation.handoffs().position(conversationId).ifPresent(position -> status.put("position", position)
                .put("expectedWaitMinutes", escalation.handoffs().expectedWaitMinutes(position, now)));
        return status;
    }

    JsonObject status(String conversationId, String token) {
        authorize(conversationId, token);
        return status(conversationId, System.currentTimeMillis());
    }

    /** Returns tickets whose agent's lease ran out to the queue, telling each customer so. */
    void requeueExpired(long now) {
        escalation.handoffs().requeueExpired(now, position -> escalation.notices().requeued(position,
                escalation.handoffs().expectedWaitMinutes(position, now), now));
    }

    private JsonObject reply(String text, List<SearchHit> cited, Decision decision, List<String> reasons, String template) {
        JsonArray citations = new JsonArray();
        for (SearchHit hit : cited) {
            citations.add(new JsonObject().put("articleId", hit.articleId()).put("title", hit.title()));
        }
        return new JsonObject().put("text", text).put("citations", citations).put("decision", decision.name())
                .put("reasons", new JsonArray(reasons)).put("template", templates.version(template));
    }

    private static void validate(String text, String clientMessageId) {
        if (text == null || text.isBlank()) {
            throw new ApiException(400, "missing_text", "text is required and must not be blank");
        }
        if (text.codePointCount(0, text.length()) > MAX_TEXT_CHARS) {
            throw new ApiException(413, "text_too_long", "text is longer than " + MAX_TEXT_CHARS + " characters");
        }
        if (hasControlCharacters(text)) {
            throw new ApiException(400, "invalid_text", "text must not contain control characters such as NUL");
        }
        if (clientMessageId == null || clientMessageId.isBlank()) {
            throw new ApiException(400, "missing_client_message_id", "clientMessageId is required and must not be blank");
        }
        if (clientMessageId.length() > MAX_CLIENT_ID_CHARS) {
            throw new ApiException(400, "invalid_client_message_id",
                    "clientMessageId is longer than " + MAX_CLIENT_ID_CHARS + " characters");
        }
    }

    /** Control characters other than tab and line ends have no place in a chat message. */
    private static boolean hasControlCharacters(String text) {
        return text.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r');
    }

    Map<String, String> authorize(String conversationId, String token) {
        return authorize(store.conversation(conversationId), token);
    }

    private static Map<String, String> authorize(Optional<Map<String, String>> found, String token) {
        Map<String, String> conversation = found
                .orElseThrow(() -> new ApiException(404, "conversation_not_found", "no conversation with that id"));
        byte[] expected = conversation.getOrDefault("tokenHash", "").getBytes(StandardCharsets.US_ASCII);
        byte[] given = token == null ? new byte[0] : sha256(token).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            throw new ApiException(401, "invalid_token", "the conversation token is missing or wrong");
        }
        long expiresAt = Long.parseLong(conversation.getOrDefault("tokenExpiresAt", "0"));
        if (System.currentTimeMillis() >= expiresAt) {
            throw new ApiException(401, "token_expired", "the conversation token has expired; open a new conversation");
        }
        return conversation;
    }

    private static String sha256(String value) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

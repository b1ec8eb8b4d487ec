package dev.keel.server;

import dev.keel.churn.RiskBand;
import dev.keel.kb.Article;
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
     * @param value    the customer's value, for the queue priority
     * @param webhooks told of high-risk customers and new hand-offs
     */
    record Escalation(EscalationConfig config, EscalationPolicy policy, IntentClassifier intents, Handoffs handoffs,
                      Notices notices, CustomerValue value, Webhooks webhooks) {
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

    /** How many entries the audit stream keeps, for routes of other files that append to it. */
    int auditEntries() {
        return escalation.config().auditEntries();
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
        if (who.verified()) {
            JsonObject risk = churn.lookup(who.customerId());
            if (ChurnScores.band(risk) == RiskBand.HIGH) {
                escalation.webhooks().send(Webhooks.HIGH_RISK, Webhooks.highRisk(id, who.customerId(), risk));
            }
        }
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

    /** What the bot makes of one message: what retrieval found, the signals and the policy's outcome. */
    private record Deliberation(SearchResult found, IntentClassifier.Reading intent, JsonObject risk, RiskBand band,
                                EscalationPolicy.Signals signals, EscalationPolicy.Outcome outcome, boolean signIn,
                                boolean answerable) {
        List<SearchHit> cited() {
            return answerable ? found.hits() : List.of();
        }
    }

    private Deliberation deliberate(String text, String customerId, String identity, TurnHistory history) {
        EscalationPolicy policy = escalation.policy();
        SearchResult found = kb.search(text, CITED_ARTICLES);
        IntentClassifier.Reading intent = escalation.intents().read(text);
        JsonObject risk = churn.lookup(customerId);
        RiskBand band = ChurnScores.band(risk);
        boolean signInNeeded = !"verified".equals(identity) && AccountQuestion.isAccountSpecific(text);
        EscalationPolicy.Signals signals = new EscalationPolicy.Signals(intent.intent(), band, found.answerability(),
                found.queryTerms() > 0, Frustration.ofConversation(history.frustrationTexts(), text),
                history.repeatsOf(text), history.failuresInARow(), signInNeeded);
        EscalationPolicy.Outcome outcome = policy.decide(signals);
        boolean signIn = outcome.reasons().contains(EscalationPolicy.ACCOUNT_NEEDS_SIGN_IN);
        boolean answerable = !signIn && !found.isEmpty() && policy.covers(found.answerability());
        return new Deliberation(found, intent, risk, band, signals, outcome, signIn, answerable);
    }

    /**
     * What the bot would do with this question as the first message of a new conversation, for the
     * admin console: the signals, the decision and its reasons, the passages retrieval found with
     * their scores, and the reply text. Stores nothing and writes no audit entry; a hand-off is not queued.
     */
    JsonObject rehearse(String rawText, String customerId) {
        validate(rawText, "rehearsal");
        if (customerId != null && !CUSTOMER_ID.matcher(customerId).matches()) {
            throw new ApiException(400, "invalid_customer_id", "customerId must be 1 to 64 letters, digits or . _ @ : -");
        }
        String text = VisitorText.clean(rawText);
        // a customer the admin chose stands for a signed-in one
        Deliberation d = deliberate(text, customerId, customerId == null ? "unverified" : "verified", new TurnHistory(List.of()));
        EscalationPolicy policy = escalation.policy();
        long now = System.currentTimeMillis();
        JsonObject reply;
        if (d.outcome().decision() == Decision.HANDOFF) {
            OptionalDouble value = escalation.value().monthlyCharges(customerId);
            double score = escalation.handoffs().score(Handoffs.priority(d.band(), d.risk().getDouble("probability", 0.0), value), now);
            reply = handoffReply(escalation.handoffs().positionFor(score), d.cited(), d.outcome(), now);
        } else if (!d.answerable()) {
            reply = unansweredReply(d);
        } else {
            Answer answer = answerer.answer(new Question(text, d.found().hits(),
                    d.outcome().decision() == Decision.ANSWER_AND_OFFER_HUMAN, JsonArray::new), ReplyStream.NONE);
            List<String> reasons = new ArrayList<>(d.outcome().reasons());
            reasons.addAll(answer.reasons());
            reply = reply(answer.text(), answer.citations(),
                    answer.offerHuman() ? Decision.ANSWER_AND_OFFER_HUMAN : d.outcome().decision(), reasons, answer.template());
        }
        JsonArray passages = new JsonArray();
        for (SearchHit hit : d.found().hits()) {
            passages.add(new JsonObject().put("articleId", hit.articleId()).put("title", hit.title())
                    .put("heading", hit.passage().heading()).put("text", hit.passage().text()).put("score", hit.score()));
        }
        JsonObject signals = new JsonObject().put("intent", d.intent().intent().label())
                .put("intentConfidence", ClassMetrics.round(d.intent().confidence())).put("intentByRule", d.intent().byRule())
                .put("frustration", ClassMetrics.round(d.signals().frustration())).put("repeats", d.signals().repeats())
                .put("failuresBefore", d.signals().failuresBefore()).put("offTopic", policy.isOffTopic(d.signals()))
                .put("somethingToSearch", d.signals().somethingToSearch()).put("riskBand", d.band().name())
                .put("churnProbability", d.risk().getDouble("probability"));
        return new JsonObject().put("question", text).put("customerId", customerId)
                .put("answerability", d.found().answerability()).put("answerable", d.answerable())
                .put("decision", reply.getString("decision")).put("reasons", reply.getJsonArray("reasons"))
                .put("signals", signals).put("passages", passages).put("reply", reply);
    }

    private JsonObject unansweredReply(Deliberation d) {
        List<String> reasons = d.outcome().reasons();
        if (d.signIn()) {
            return reply(templates.render("reply-sign-in"), d.cited(), d.outcome().decision(), reasons, "reply-sign-in");
        }
        String template = reasons.contains("NOTHING_TO_SEARCH") ? "reply-rephrase"
                : reasons.contains("OFF_TOPIC") ? "reply-off-topic" : "reply-not-covered";
        return reply(templates.render(template), d.cited(), d.outcome().decision(), reasons, template);
    }

    /** The bot's turn; empty when a person took the conversation over while it was being decided. */
    private Optional<JsonObject> botTurn(String conversationId, String customerId, String identity, String text,
                                         JsonObject customerMessage, long now, List<JsonObject> earlierSignals,
                                         ReplyStream stream) {
        EscalationPolicy policy = escalation.policy();
        Deliberation d = deliberate(text, customerId, identity, new TurnHistory(earlierSignals));
        SearchResult found = d.found();
        IntentClassifier.Reading intent = d.intent();
        JsonObject risk = d.risk();
        RiskBand band = d.band();
        EscalationPolicy.Signals signals = d.signals();
        EscalationPolicy.Outcome outcome = d.outcome();
        List<SearchHit> cited = d.cited();

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
        } else if (!d.answerable()) {
            reply = unansweredReply(d);
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
                .put("answered", policy.answers(signals) && !d.signIn()).put("answerability", found.answerability())
                .put("riskBand", band.name()).put("decision", outcome.decision().name())
                .put("reasons", new JsonArray(outcome.reasons())).put("citations", reply.getJsonArray("citations"))
                .put("customerId", customerId).put("churnProbability", risk.getDouble("probability"))
                .put("at", now);
        Store.Recorded recorded = store.recordTurn(conversationId, new Store.Turn(customerMessage.getString("clientMessageId"),
                customerMessage, botMessage, reply, BOT, ticket, score, turnSignals), escalation.config().auditEntries());
        if (recorded.ownerChanged()) {
            return Optional.empty();
        }
        if (ticket != null && !recorded.earlier()) {
            escalation.webhooks().send(Webhooks.HANDOFF, new JsonObject().put("conversationId", conversationId)
                    .put("customerId", customerId).put("identity", identity).put("reasons", new JsonArray(outcome.reasons()))
                    .put("risk", Webhooks.riskSummary(risk))
                    .put("priority", ClassMetrics.round(escalation.handoffs().priorityNow(score, now))).put("createdAt", now));
        }
        return Optional.of(recorded.reply());
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
        return recorded.reply();
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
        boolean staffed = unstaffed(now).isEmpty();
        JsonObject status = new JsonObject().put("owner", withAgent ? "agent" : owner.toLowerCase(Locale.ROOT))
                .put("agentsOnline", escalation.handoffs().online(now).size())
                .put("open", escalation.config().hours().isOpen(now))
                .put("askForContact", !staffed && QUEUE.equals(owner))
                .put("followUpRequested", conversation.containsKey("contact"));
        if (withAgent) {
            status.put("agentName", escalation.handoffs().agentName(owner.substring("agent:".length())));
        }
        escalation.handoffs().position(conversationId).ifPresent(position -> {
            status.put("position", position);
            // with nobody able to answer now there is no wait to promise
            if (staffed) {
                status.put("expectedWaitMinutes", escalation.handoffs().expectedWaitMinutes(position, now));
            }
        });
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
            JsonObject citation = new JsonObject().put("articleId", hit.articleId()).put("title", hit.title());
            kb.article(hit.articleId()).map(Article::url).ifPresent(url -> citation.put("url", url));
            citations.add(citation);
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

package dev.keel.server;

import dev.keel.churn.RiskBand;
import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.SearchHit;
import dev.keel.kb.SearchResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private static final int MAX_PASSAGE_CHARS = 700;
    private static final int CITED_ARTICLES = 3;
    private static final Pattern CUSTOMER_ID = Pattern.compile("[A-Za-z0-9._@:-]{1,64}");

    private final Store store;
    private final KnowledgeBase kb;
    private final ChurnScores churn;
    private final EscalationPolicy policy;
    private final Templates templates;
    private final Duration tokenTtl;
    private final SecureRandom random = new SecureRandom();

    /** @param tokenTtl how long a conversation's token is accepted after the conversation opens */
    ChatService(Store store, KnowledgeBase kb, ChurnScores churn, EscalationPolicy policy, Templates templates,
                Duration tokenTtl) {
        this.store = store;
        this.kb = kb;
        this.churn = churn;
        this.policy = policy;
        this.templates = templates;
        this.tokenTtl = tokenTtl;
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

    /** Answers one customer message and stores it with its reply before returning the reply. */
    JsonObject turn(String conversationId, String token, String text, String clientMessageId) {
        validate(text, clientMessageId);
        Map<String, String> conversation = authorize(conversationId, token);
        Optional<JsonObject> earlier = store.earlierReply(conversationId, clientMessageId);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        long now = System.currentTimeMillis();
        JsonObject customerMessage = new JsonObject().put("role", "customer").put("text", text)
                .put("clientMessageId", clientMessageId).put("at", now);
        if (!"BOT".equals(conversation.get("owner"))) {
            JsonObject reply = reply(templates.render("reply-waiting"), List.of(), Decision.HANDOFF,
                    List.of("WAITING_FOR_PERSON"), "reply-waiting");
            return store.recordTurn(conversationId, clientMessageId, customerMessage, null, reply, null, 0)
                    .orElse(reply);
        }

        SearchResult found = kb.search(text, CITED_ARTICLES);
        Intent intent = Intent.of(text);
        JsonObject risk = churn.lookup(conversation.get("customerId"));
        RiskBand band = ChurnScores.band(risk);
        EscalationPolicy.Outcome outcome = policy.decide(new EscalationPolicy.Signals(
                intent, band, found.answerability(), found.queryTerms() > 0));
        boolean answerable = !found.isEmpty() && policy.covers(found.answerability());
        List<SearchHit> cited = answerable ? found.hits() : List.of();

        JsonObject handoff = null;
        double priority = 0;
        JsonObject reply;
        if (outcome.decision() == Decision.HANDOFF) {
            priority = priority(band, risk);
            long position = store.waitingAtOrAbove(priority) + 1;
            reply = reply(templates.render("reply-handoff", Map.of("position", Long.toString(position))),
                    cited, outcome.decision(), outcome.reasons(), "reply-handoff");
            handoff = new JsonObject().put("conversationId", conversationId)
                    .put("customerId", conversation.get("customerId"))
                    .put("identity", conversation.getOrDefault("identity", "unverified"))
                    .put("reasons", new JsonArray(outcome.reasons()))
                    .put("risk", risk)
                    .put("createdAt", now);
        } else if (!answerable) {
            String template = outcome.reasons().contains("NOTHING_TO_SEARCH") ? "reply-rephrase" : "reply-not-covered";
            reply = reply(templates.render(template), cited, outcome.decision(), outcome.reasons(), template);
        } else {
            SearchHit best = found.hits().get(0);
            String text1 = templates.render("reply-answer",
                    Map.of("title", best.title(), "passage", excerpt(best.passage().text())));
            if (outcome.decision() == Decision.ANSWER_AND_OFFER_HUMAN) {
                text1 = text1 + "\n\n" + templates.render("reply-offer-human");
            }
            reply = reply(text1, cited, outcome.decision(), outcome.reasons(), "reply-answer");
        }
        reply.put("answerability", found.answerability());
        JsonObject botMessage = new JsonObject().put("role", "bot").put("text", reply.getString("text"))
                .put("citations", reply.getJsonArray("citations")).put("decision", reply.getString("decision"))
                .put("reasons", reply.getJsonArray("reasons")).put("at", System.currentTimeMillis());
        return store.recordTurn(conversationId, clientMessageId, customerMessage, botMessage, reply, handoff, priority)
                .orElse(reply);
    }

    /** Queue priority: the churn band first, the probability within a band. */
    private static double priority(RiskBand band, JsonObject risk) {
        double base = switch (band) {
            case HIGH -> 3;
            case MEDIUM -> 2;
            case UNKNOWN -> 1.5;
            case LOW -> 1;
        };
        return base + risk.getDouble("probability", 0.0);
    }

    private JsonObject reply(String text, List<SearchHit> cited, Decision decision, List<String> reasons, String template) {
        JsonArray citations = new JsonArray();
        for (SearchHit hit : cited) {
            citations.add(new JsonObject().put("articleId", hit.articleId()).put("title", hit.title()));
        }
        return new JsonObject().put("text", text).put("citations", citations).put("decision", decision.name())
                .put("reasons", new JsonArray(reasons)).put("template", templates.version(template));
    }

    /** The start of a passage, cut at a sentence or paragraph end when it is long. */
    static String excerpt(String passage) {
        if (passage.length() <= MAX_PASSAGE_CHARS) {
            return passage;
        }
        String head = passage.substring(0, MAX_PASSAGE_CHARS);
        int cut = Math.max(head.lastIndexOf(". "), head.lastIndexOf("\n"));
        return (cut > MAX_PASSAGE_CHARS / 2 ? head.substring(0, cut + 1) : head).strip() + " …";
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

    private Map<String, String> authorize(String conversationId, String token) {
        Map<String, String> conversation = store.conversation(conversationId)
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

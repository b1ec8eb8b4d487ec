package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Supplier;

/**
 * What an agent needs on taking a conversation: a summary of it so far, what the bot tried, a risk
 * card (score, band, the top factors in plain words, the age of the score) and the retention
 * playbook for the customer's risk band and intent. None of it is ever shown to the customer.
 *
 * <p>Playbooks come from {@value #PLAYBOOKS}: the first entry whose {@code band} and {@code intent}
 * match (or are {@code *}) applies; its {@code offer} is shown only when the customer's monthly
 * charge reaches the offer's {@code minMonthlyCharges}.
 */
final class AgentBriefing {
    static final String PLAYBOOKS = "keel/escalation/playbooks.json";
    private static final int QUOTE_CHARS = 200;

    private final Store store;
    private final ChurnScores churn;
    private final CustomerValue value;
    private final HandoffSummaries summaries;
    /** The playbooks in force, read at each briefing: an admin may change them while Keel runs. */
    private final Supplier<JsonArray> playbooks;

    /**
     * @param summaries the language model's summaries, used in place of the one from the signals once written
     * @param playbooks the playbooks in force
     */
    AgentBriefing(Store store, ChurnScores churn, CustomerValue value, HandoffSummaries summaries,
                  Supplier<JsonArray> playbooks) {
        this.store = store;
        this.churn = churn;
        this.value = value;
        this.summaries = summaries;
        this.playbooks = playbooks;
    }

    JsonObject brief(String conversationId, Map<String, String> conversation, long now) {
        String customerId = conversation.get("customerId");
        List<JsonObject> turns = store.signals(conversationId);
        JsonObject risk = churn.lookup(customerId);
        OptionalDouble monthly = value.monthlyCharges(customerId);
        String intent = latestIntent(turns);
        HandoffSummaries.Lookup drafted = summaries.lookup(conversationId, turns, () -> store.transcript(conversationId));
        return new JsonObject().put("conversationId", conversationId).put("customerId", customerId)
                .put("summary", drafted.summary().orElseGet(() -> summary(turns)))
                .put("summarySource", drafted.summary().isPresent() ? "model" : "signals")
                .put("summaryPending", drafted.pending())
                .put("botTried", botTried(turns))
                .put("riskCard", riskCard(risk, monthly, now))
                .put("playbook", playbook(ChurnScores.band(risk).name(), intent, monthly));
    }

    /** A few plain sentences; every quoted customer text is cleaned again and cut short. */
    static String summary(List<JsonObject> turns) {
        if (turns.isEmpty()) {
            return "The customer has not asked the bot anything yet.";
        }
        JsonObject first = turns.get(0);
        JsonObject last = turns.get(turns.size() - 1);
        long failed = turns.stream().filter(t -> !t.getBoolean("answered", false) && !t.getBoolean("offTopic", false)).count();
        StringBuilder out = new StringBuilder();
        out.append("The customer first asked: \"").append(quote(first.getString("text", ""))).append("\". ");
        out.append("The bot handled ").append(turns.size()).append(turns.size() == 1 ? " message" : " messages")
                .append(" and could not answer ").append(failed).append(". ");
        double frustration = turns.stream().mapToDouble(t -> t.getDouble("frustration", 0.0)).max().orElse(0);
        out.append("Frustration peaked at ").append(Math.round(frustration * 100)).append(" %. ");
        if (turns.size() > 1) {
            out.append("Latest: \"").append(quote(last.getString("text", ""))).append("\". ");
        }
        out.append("Decision: ").append(last.getString("decision", "")).append(" (")
                .append(String.join(", ", last.getJsonArray("reasons", new JsonArray()).stream().map(Object::toString).toList()))
                .append(").");
        return out.toString();
    }

    private static String quote(String text) {
        String clean = VisitorText.clean(text).replaceAll("\\s+", " ");
        return clean.length() <= QUOTE_CHARS ? clean : clean.substring(0, QUOTE_CHARS) + " …";
    }

    /** The articles the bot cited, each once, in the order it cited them. */
    private static JsonArray botTried(List<JsonObject> turns) {
        Map<String, JsonObject> cited = new LinkedHashMap<>();
        for (JsonObject t : turns) {
            for (Object c : t.getJsonArray("citations", new JsonArray())) {
                JsonObject citation = (JsonObject) c;
                cited.putIfAbsent(citation.getString("articleId"), citation);
            }
        }
        return new JsonArray(List.copyOf(cited.values()));
    }

    private static JsonObject riskCard(JsonObject risk, OptionalDouble monthly, long now) {
        JsonArray factors = new JsonArray();
        for (Object f : risk.getJsonArray("factors", new JsonArray())) {
            factors.add(((JsonObject) f).getString("description"));
        }
        JsonObject card = new JsonObject().put("band", risk.getString("band", "UNKNOWN"))
                .put("probability", risk.getDouble("probability")).put("factors", factors)
                .put("modelVersion", risk.getString("modelVersion"))
                .put("monthlyCharges", monthly.isPresent() ? monthly.getAsDouble() : null);
        Long scoredAt = risk.getLong("scoredAt");
        if (scoredAt != null) {
            card.put("scoreAgeMinutes", Math.max(0, (now - scoredAt) / 60_000));
        }
        if (risk.containsKey("why")) {
            card.put("why", risk.getString("why"));
        }
        return card;
    }

    private static String latestIntent(List<JsonObject> turns) {
        for (int i = turns.size() - 1; i >= 0; i--) {
            String intent = turns.get(i).getString("intent", "other");
            if (!intent.equals("other")) {
                return intent;
            }
        }
        return "other";
    }

    JsonObject playbook(String band, String intent, OptionalDouble monthly) {
        for (Object p : playbooks.get()) {
            JsonObject playbook = (JsonObject) p;
            if (matches(playbook.getString("band"), band) && matches(playbook.getString("intent"), intent)) {
                JsonObject out = new JsonObject().put("band", band).put("intent", intent).put("steps", playbook.getJsonArray("steps"));
                JsonObject offer = playbook.getJsonObject("offer");
                if (offer != null && monthly.isPresent() && monthly.getAsDouble() >= offer.getDouble("minMonthlyCharges", 0.0)) {
                    out.put("offer", offer.getString("text"));
                }
                return out;
            }
        }
        return new JsonObject().put("band", band).put("intent", intent).put("steps", new JsonArray());
    }

    private static boolean matches(String pattern, String value) {
        return "*".equals(pattern) || value.equalsIgnoreCase(pattern);
    }

    /** The playbooks shipped in the jar, the default until an admin changes them. */
    static JsonArray bundledPlaybooks() {
        try (InputStream in = AgentBriefing.class.getClassLoader().getResourceAsStream(PLAYBOOKS)) {
            if (in == null) {
                throw new IllegalStateException("playbooks not found: " + PLAYBOOKS);
            }
            JsonArray playbooks = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getJsonArray("playbooks");
            for (Object p : playbooks) {
                JsonObject playbook = (JsonObject) p;
                if (playbook.getString("band") == null || playbook.getString("intent") == null
                        || playbook.getJsonArray("steps") == null) {
                    throw new IllegalStateException("each playbook needs band, intent and steps: " + playbook.encode());
                }
            }
            return playbooks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PLAYBOOKS, e);
        }
    }
}

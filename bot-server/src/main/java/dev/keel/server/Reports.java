package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.resps.StreamEntry;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The admin console's reports, computed from the decision stream {@value Store#AUDIT}: every bot
 * turn's signals ({@code event=decision}), claims by agents ({@code claimed}) and customers'
 * ratings ({@code rating}). The stream is capped (about {@code --audit-entries} entries), so a
 * report covers what it still holds, and reading stops after {@value #MAX_ENTRIES} entries; the
 * answer says how many entries it read and whether older ones in the window were left out.
 */
final class Reports {
    static final int MAX_DAYS = 90;
    static final int MAX_ENTRIES = 100_000;
    private static final int PAGE = 2000;
    private static final int FAILED_QUESTIONS = 20;
    private static final Set<String> KNOWLEDGE_GAPS = Set.of("NOT_IN_KNOWLEDGE_BASE", "FAILED_ANSWERS");
    /** Upper ends of the time-to-agent buckets, in minutes. */
    private static final long[] WAIT_BUCKETS = {1, 5, 15, 60};

    private final Store store;

    Reports(Store store) {
        this.store = store;
    }

    /** One conversation as the window saw it. */
    private static final class Conversation {
        boolean handedOff;
        Long handoffAt;
    }

    /** A question the knowledge base failed, by its normalised text. */
    private static final class Gap {
        final String sample;
        final Map<String, Double> customers = new HashMap<>();
        final Set<String> conversations = new java.util.HashSet<>();
        final Set<String> reasons = new java.util.TreeSet<>();
        int asked;

        Gap(String sample) {
            this.sample = sample;
        }

        double churnRisk() {
            return customers.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    JsonObject compute(int days, long now) {
        if (days < 1 || days > MAX_DAYS) {
            throw new ApiException(400, "invalid_days", "days must be a whole number from 1 to " + MAX_DAYS);
        }
        long from = now - days * 86_400_000L;
        List<StreamEntry> entries = new ArrayList<>();
        boolean truncated = read(from, now, entries);
        Collections.reverse(entries);

        Map<String, Conversation> conversations = new LinkedHashMap<>();
        Map<String, Integer> byReason = new HashMap<>();
        Map<String, Integer> ratings = new HashMap<>();
        List<Long> waits = new ArrayList<>();
        Map<String, JsonObject> customers = new HashMap<>();
        Map<String, Gap> gaps = new HashMap<>();
        for (StreamEntry entry : entries) {
            Map<String, String> fields = entry.getFields();
            String conversationId = fields.getOrDefault("conversationId", "");
            long at = entry.getID().getTime();
            switch (fields.getOrDefault("event", "")) {
                case "decision" -> {
                    JsonObject turn = parse(fields.get("turn"));
                    Conversation c = conversations.computeIfAbsent(conversationId, id -> new Conversation());
                    String customer = turn.getString("customerId") != null ? turn.getString("customerId") : "conversation:" + conversationId;
                    customers.put(customer, new JsonObject().put("band", turn.getString("riskBand", "UNKNOWN"))
                            .put("probability", turn.getDouble("churnProbability")));
                    if ("HANDOFF".equals(turn.getString("decision"))) {
                        c.handedOff = true;
                        c.handoffAt = at;
                        JsonArray reasons = turn.getJsonArray("reasons", new JsonArray());
                        byReason.merge(reasons.isEmpty() ? "UNKNOWN" : reasons.getString(0), 1, Integer::sum);
                    }
                    if (failed(turn)) {
                        String key = normalise(turn.getString("text", ""));
                        if (!key.isEmpty()) {
                            Gap gap = gaps.computeIfAbsent(key, k -> new Gap(turn.getString("text").strip()));
                            gap.asked++;
                            gap.conversations.add(conversationId);
                            Double probability = turn.getDouble("churnProbability");
                            gap.customers.merge(customer, probability == null ? 0.0 : probability, Math::max);
                            turn.getJsonArray("reasons", new JsonArray()).forEach(r -> {
                                if (KNOWLEDGE_GAPS.contains(r.toString())) {
                                    gap.reasons.add(r.toString());
                                }
                            });
                        }
                    }
                }
                case "claimed" -> {
                    Conversation c = conversations.get(conversationId);
                    if (c != null && c.handoffAt != null) {
                        waits.add(at - c.handoffAt);
                        c.handoffAt = null;
                    }
                }
                case "rating" -> {
                    Integer score = score(fields);
                    if (score != null) {
                        ratings.put(conversationId, score);
                    }
                }
                default -> {
                    // other events (hand-backs, resolutions, follow-ups) are not reported here
                }
            }
        }
        long handedOff = conversations.values().stream().filter(c -> c.handedOff).count();
        long stillWaiting = conversations.values().stream().filter(c -> c.handoffAt != null).count();
        return new JsonObject().put("days", days).put("from", from).put("to", now)
                .put("entriesRead", entries.size()).put("truncated", truncated)
                .put("conversations", conversations.size()).put("handedOff", handedOff)
                .put("resolvedByBot", conversations.size() - handedOff)
                .put("botResolvedShare", conversations.isEmpty() ? null
                        : ClassMetrics.round((conversations.size() - handedOff) / (double) conversations.size()))
                .put("handoffsByReason", counted(byReason, "reason"))
                .put("satisfaction", satisfaction(ratings))
                .put("timeToAgent", timeToAgent(waits, stillWaiting))
                .put("churnRisk", churnRisk(customers))
                .put("failedQuestions", failedQuestions(gaps));
    }

    /**
     * Reads the window newest first, a page at a time, until its start or {@value #MAX_ENTRIES}
     * entries; true when entries of the window were left unread.
     */
    private boolean read(long from, long to, List<StreamEntry> out) {
        String end = to + "-" + Long.MAX_VALUE;
        String start = from + "-0";
        while (out.size() < MAX_ENTRIES) {
            String upper = end;
            int count = Math.min(PAGE, MAX_ENTRIES - out.size());
            List<StreamEntry> page = store.call(j -> j.xrevrange(Store.AUDIT, upper, start, count));
            out.addAll(page);
            if (page.size() < count) {
                return false;
            }
            end = "(" + page.get(page.size() - 1).getID();
        }
        String oldest = "(" + out.get(out.size() - 1).getID();
        return !store.call(j -> j.xrevrange(Store.AUDIT, oldest, start, 1)).isEmpty();
    }

    /**
     * A question the knowledge base failed: the bot did not answer it, and it was a question the
     * articles should have covered (not off-topic, not empty of words, not a request for a person).
     */
    static boolean failed(JsonObject turn) {
        if (turn.getBoolean("answered", true) || turn.getBoolean("offTopic", false)) {
            return false;
        }
        JsonArray reasons = turn.getJsonArray("reasons", new JsonArray());
        if (reasons.contains("NOTHING_TO_SEARCH")) {
            return false;
        }
        return "other".equals(turn.getString("intent")) || reasons.stream().anyMatch(r -> KNOWLEDGE_GAPS.contains(r.toString()));
    }

    /** Lower case, accents and punctuation gone, spaces collapsed: "How do I pause?!" and "how do i  pause" group. */
    static String normalise(String text) {
        String plain = Normalizer.normalize(text, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
        return plain.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }

    private static Integer score(Map<String, String> fields) {
        String raw = fields.get("score");
        if (raw == null && fields.get("details") != null) {
            raw = parse(fields.get("details")).getValue("score") == null ? null : parse(fields.get("details")).getValue("score").toString();
        }
        try {
            int score = raw == null ? 0 : Integer.parseInt(raw.strip());
            return score >= 1 && score <= 5 ? score : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static JsonObject satisfaction(Map<String, Integer> ratings) {
        JsonArray byScore = new JsonArray();
        for (int s = 1; s <= 5; s++) {
            int score = s;
            byScore.add(new JsonObject().put("score", s).put("count", ratings.values().stream().filter(v -> v == score).count()));
        }
        return new JsonObject().put("ratings", ratings.size())
                .put("average", ratings.isEmpty() ? null
                        : ClassMetrics.round(ratings.values().stream().mapToInt(Integer::intValue).average().orElse(0)))
                .put("byScore", byScore);
    }

    private static JsonObject timeToAgent(List<Long> waits, long stillWaiting) {
        List<Long> sorted = new ArrayList<>(waits);
        Collections.sort(sorted);
        JsonArray buckets = new JsonArray();
        long lower = 0;
        for (long upper : WAIT_BUCKETS) {
            long lo = lower;
            buckets.add(new JsonObject().put("label", lo + "–" + upper + " min")
                    .put("count", sorted.stream().filter(w -> w >= lo * 60_000 && w < upper * 60_000).count()));
            lower = upper;
        }
        long last = lower;
        buckets.add(new JsonObject().put("label", "over " + last + " min")
                .put("count", sorted.stream().filter(w -> w >= last * 60_000).count()));
        return new JsonObject().put("claimed", sorted.size()).put("waiting", stillWaiting)
                .put("medianSeconds", sorted.isEmpty() ? null : sorted.get((sorted.size() - 1) / 2) / 1000.0)
                .put("p90Seconds", sorted.isEmpty() ? null : sorted.get((int) Math.ceil(0.9 * sorted.size()) - 1) / 1000.0)
                .put("buckets", buckets);
    }

    private static JsonObject churnRisk(Map<String, JsonObject> customers) {
        Map<String, Integer> bands = new LinkedHashMap<>();
        for (String band : List.of("HIGH", "MEDIUM", "LOW", "UNKNOWN")) {
            bands.put(band, 0);
        }
        int[] histogram = new int[10];
        for (JsonObject c : customers.values()) {
            bands.merge(c.getString("band"), 1, Integer::sum);
            Double p = c.getDouble("probability");
            if (p != null) {
                histogram[Math.min(9, (int) Math.floor(Math.max(0, p) * 10))]++;
            }
        }
        JsonArray byBand = new JsonArray();
        bands.forEach((band, count) -> byBand.add(new JsonObject().put("band", band).put("count", count)));
        JsonArray bins = new JsonArray();
        for (int i = 0; i < 10; i++) {
            bins.add(new JsonObject().put("from", i / 10.0).put("to", (i + 1) / 10.0).put("count", histogram[i]));
        }
        return new JsonObject().put("customers", customers.size()).put("byBand", byBand).put("histogram", bins);
    }

    private static JsonArray failedQuestions(Map<String, Gap> gaps) {
        JsonArray out = new JsonArray();
        gaps.values().stream()
                .sorted(Comparator.comparingInt((Gap g) -> g.customers.size()).reversed()
                        .thenComparing(Comparator.comparingDouble(Gap::churnRisk).reversed())
                        .thenComparing(Comparator.comparingInt((Gap g) -> g.asked).reversed()))
                .limit(FAILED_QUESTIONS)
                .forEach(g -> out.add(new JsonObject().put("question", g.sample).put("customers", g.customers.size())
                        .put("conversations", g.conversations.size()).put("asked", g.asked)
                        .put("churnRisk", ClassMetrics.round(g.churnRisk()))
                        .put("reasons", new JsonArray(List.copyOf(g.reasons)))));
        return out;
    }

    private static JsonArray counted(Map<String, Integer> counts, String name) {
        JsonArray out = new JsonArray();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> out.add(new JsonObject().put(name, e.getKey()).put("count", e.getValue())));
        return out;
    }

    private static JsonObject parse(String json) {
        try {
            return json == null ? new JsonObject() : new JsonObject(json);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }
}

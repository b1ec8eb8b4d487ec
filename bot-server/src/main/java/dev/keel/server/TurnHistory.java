package dev.keel.server;

import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the earlier turns of a conversation say about the current one: the texts that may carry
 * frustration, how often the customer has asked for the same thing, and how many answers in a row
 * failed. Built from the turn signals Keel stores with each bot turn (oldest first); off-topic
 * turns count for none of these.
 */
final class TurnHistory {
    /** Two messages ask for the same thing when this share of their content words is shared. */
    private static final double SAME_NEED_OVERLAP = 0.5;
    private static final Pattern WORD = Pattern.compile("\\p{L}[\\p{L}']+|\\d+");
    private static final Set<String> FUNCTION_WORDS = Set.of("the", "and", "you", "your", "can", "how", "what", "why",
            "when", "where", "who", "does", "did", "for", "with", "this", "that", "there", "are", "was", "have", "has",
            "not", "but", "please", "could", "would", "will", "get", "any", "from", "about", "i'm", "it's", "again",
            "still", "just", "tell", "want", "need", "know");

    private final List<JsonObject> turns;

    TurnHistory(List<JsonObject> turns) {
        this.turns = List.copyOf(turns);
    }

    /** Earlier on-topic messages, oldest first, for the frustration of the conversation. */
    List<String> frustrationTexts() {
        return turns.stream().filter(t -> !t.getBoolean("offTopic", false)).map(t -> t.getString("text", "")).toList();
    }

    /** How many times the customer has now asked for what {@code text} asks, this message included. */
    int repeatsOf(String text) {
        Set<String> words = contentWords(text);
        int repeats = 1;
        for (JsonObject t : turns) {
            if (!t.getBoolean("offTopic", false) && overlap(words, contentWords(t.getString("text", ""))) >= SAME_NEED_OVERLAP) {
                repeats++;
            }
        }
        return repeats;
    }

    /** How many of the latest on-topic turns in a row the bot failed to answer. */
    int failuresInARow() {
        int failures = 0;
        for (int i = turns.size() - 1; i >= 0; i--) {
            JsonObject t = turns.get(i);
            if (t.getBoolean("offTopic", false)) {
                continue;
            }
            if (t.getBoolean("answered", false)) {
                break;
            }
            failures++;
        }
        return failures;
    }

    static Set<String> contentWords(String text) {
        Set<String> words = new HashSet<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            if (m.group().length() > 2 && !FUNCTION_WORDS.contains(m.group())) {
                words.add(m.group());
            }
        }
        return words;
    }

    private static double overlap(Set<String> a, Set<String> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return 0;
        }
        Set<String> shared = new HashSet<>(a);
        shared.retainAll(b);
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return (double) shared.size() / all.size();
    }
}

package dev.keel.server;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How frustrated a customer sounds, from 0 (calm) to 1, from a hand-written lexicon of the way
 * people complain to a support desk: words of anger and disappointment, service failures, waiting,
 * repetition ("again", "still"), shouting (capitals, "!!!") and negated praise, offset by thanks
 * and praise. No model is trained here: the only frustration-labelled data at hand may be used for
 * evaluation only.
 *
 * <p>{@link #ofConversation} adds the history: frustration that was there earlier in the
 * conversation decays but does not vanish, so a terse "hello??" after two angry messages still
 * reads as frustrated.
 */
final class Frustration {
    /** Weight of each earlier message's score, per message back. */
    private static final double HISTORY_DECAY = 0.6;
    /** Weight of each word beyond the eighth. */
    private static final double LENGTH_WEIGHT = 0.06;
    /** Length alone never makes a message read as frustrated. */
    private static final double MAX_LENGTH_BONUS = 0.8;

    private static final Map<String, Double> WORDS = Map.ofEntries(
            Map.entry("worst", 2.0), Map.entry("terrible", 2.0), Map.entry("horrible", 2.0), Map.entry("awful", 2.0),
            Map.entry("ridiculous", 2.0), Map.entry("unacceptable", 2.5), Map.entry("pathetic", 2.0),
            Map.entry("useless", 2.0), Map.entry("disgusting", 2.0), Map.entry("disgrace", 2.0), Map.entry("joke", 1.2),
            Map.entry("angry", 2.0), Map.entry("furious", 2.5), Map.entry("annoyed", 1.8), Map.entry("annoying", 1.8),
            Map.entry("frustrated", 2.5), Map.entry("frustrating", 2.5), Map.entry("disappointed", 2.0),
            Map.entry("disappointing", 2.0), Map.entry("upset", 1.8), Map.entry("fed", 1.0), Map.entry("sick", 1.0),
            Map.entry("hate", 2.0), Map.entry("rude", 2.0), Map.entry("incompetent", 2.5), Map.entry("shame", 1.5),
            Map.entry("nightmare", 2.0), Map.entry("mess", 1.5), Map.entry("fail", 1.5), Map.entry("failed", 1.5),
            Map.entry("fails", 1.5), Map.entry("failure", 1.5), Map.entry("broken", 1.5), Map.entry("lost", 1.3),
            Map.entry("delayed", 1.5), Map.entry("delay", 1.3), Map.entry("delays", 1.3), Map.entry("cancelled", 1.2),
            Map.entry("canceled", 1.2), Map.entry("stuck", 1.5), Map.entry("stranded", 2.0), Map.entry("waiting", 1.2),
            Map.entry("waited", 1.5), Map.entry("wait", 0.8), Map.entry("hold", 1.0), Map.entry("hours", 1.2),
            Map.entry("hour", 0.8), Map.entry("still", 1.0), Map.entry("again", 0.8), Map.entry("never", 1.3),
            Map.entry("nobody", 1.5), Map.entry("nothing", 0.8), Map.entry("no", 0.5), Map.entry("not", 0.6),
            Map.entry("can't", 0.8), Map.entry("cant", 0.8), Map.entry("won't", 0.8), Map.entry("didn't", 0.8),
            Map.entry("doesn't", 0.6), Map.entry("isn't", 0.6), Map.entry("wasn't", 0.6), Map.entry("don't", 0.5),
            Map.entry("refund", 0.8), Map.entry("complaint", 1.5), Map.entry("complain", 1.5), Map.entry("wrong", 1.3),
            Map.entry("problem", 0.8), Map.entry("issue", 0.6), Map.entry("issues", 0.8), Map.entry("charged", 1.0),
            Map.entry("overcharged", 2.0), Map.entry("poor", 1.5), Map.entry("bad", 1.5), Map.entry("sucks", 2.0),
            Map.entry("suck", 2.0), Map.entry("wtf", 2.5), Map.entry("seriously", 1.2), Map.entry("really", 0.4),
            Map.entry("ugh", 2.0), Map.entry("smh", 2.0), Map.entry("why", 0.6), Map.entry("unhelpful", 2.0),
            Map.entry("ignored", 1.8), Map.entry("ignoring", 1.8), Map.entry("excuse", 1.0), Map.entry("missed", 1.2),
            Map.entry("late", 1.0), Map.entry("dropped", 1.0), Map.entry("outage", 1.2), Map.entry("down", 0.6),
            Map.entry("customer", 0.4), Map.entry("service", 0.3), Map.entry("anyone", 0.6), Map.entry("yet", 0.6),
            Map.entry("slow", 1.3), Map.entry("miserable", 2.0), Map.entry("disaster", 2.0), Map.entry("refuse", 1.5),
            Map.entry("refused", 1.5), Map.entry("lied", 2.0), Map.entry("liars", 2.5), Map.entry("lie", 1.5),
            Map.entry("bounced", 1.2), Map.entry("hung", 1.2), Map.entry("hanging", 1.0), Map.entry("sucked", 2.0),
            Map.entry("cannot", 0.8), Map.entry("wouldn't", 0.8), Map.entry("aren't", 0.6), Map.entry("couldn't", 0.8),
            Map.entry("unable", 1.0), Map.entry("error", 1.0), Map.entry("now", 0.3), Map.entry("only", 0.3),
            Map.entry("inconvenience", 1.2), Map.entry("response", 0.6), Map.entry("told", 0.6), Map.entry("paid", 0.6),
            Map.entry("money", 0.6), Map.entry("call", 0.5), Map.entry("calling", 0.7), Map.entry("called", 0.7),
            Map.entry("minutes", 0.8), Map.entry("days", 0.8), Map.entry("week", 0.6), Map.entry("weeks", 1.0),
            Map.entry("help", 0.3), Map.entry("need", 0.3), Map.entry("even", 0.6), Map.entry("ever", 0.6),
            Map.entry("every", 0.4), Map.entry("instead", 0.5), Map.entry("supposed", 0.8), Map.entry("fix", 0.6), Map.entry("compensation", 1.0), Map.entry("apology", 0.8), Map.entry("sorry", 0.3),
            // praise and thanks lower the score
            Map.entry("thanks", -1.3), Map.entry("thank", -1.3), Map.entry("thx", -1.3), Map.entry("great", -1.5),
            Map.entry("awesome", -2.0), Map.entry("love", -1.8), Map.entry("amazing", -2.0), Map.entry("excellent", -2.0),
            Map.entry("best", -1.2), Map.entry("good", -0.8), Map.entry("nice", -1.2), Map.entry("appreciate", -1.8),
            Map.entry("helpful", -1.5), Map.entry("happy", -1.2), Map.entry("glad", -1.5), Map.entry("perfect", -1.5),
            Map.entry("wonderful", -2.0), Map.entry("kudos", -2.0), Map.entry("please", -0.2), Map.entry("cool", -1.0));
    private static final List<String> PHRASES = List.of("fed up", "sick of", "no one", "not happy", "not good",
            "on hold", "customer service", "what is going on", "how hard", "still waiting", "third time", "again and again",
            "not working", "doesn't work", "does not work", "waste of", "last time", "never again", "so much for",
            "thanks for nothing", "great job", "no answer", "no response", "no help", "any update", "still no", "how long");
    private static final java.util.Set<String> NEGATORS = java.util.Set.of("not", "no", "never", "isn't", "aren't",
            "wasn't", "don't", "didn't", "doesn't", "won't", "hardly", "nothing");
    private static final Pattern QUESTION = Pattern.compile(
            "^\\W*(@\\w+\\s+)*(can|could|is|are|do|does|will|would|how|what|when|where|which|any|should)\\b[^!]*\\?\\s*$");
    private static final Pattern WORD = Pattern.compile("[\\p{L}']+");
    private static final Pattern SHOUTED = Pattern.compile("\\b\\p{Lu}{3,}\\b");
    private static final Pattern EXCLAIMED = Pattern.compile("[!?]{2,}");

    private Frustration() {
    }

    /** The frustration of one message alone. */
    static double of(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        double raw = 0;
        Matcher words = WORD.matcher(lower);
        int sinceNegator = Integer.MAX_VALUE;
        int wordCount = 0;
        while (words.find()) {
            String word = words.group();
            wordCount++;
            double weight = WORDS.getOrDefault(word, 0.0);
            // "not helpful", "wasn't great": praise under a negation reads as the opposite
            raw += weight < 0 && sinceNegator <= 3 ? -0.8 * weight : weight;
            sinceNegator = NEGATORS.contains(word) ? 1 : sinceNegator == Integer.MAX_VALUE ? sinceNegator : sinceNegator + 1;
        }
        // people who are fed up explain at length; a short message is more often a plain request
        raw += Math.min(MAX_LENGTH_BONUS, LENGTH_WEIGHT * Math.max(0, wordCount - 8));
        if (QUESTION.matcher(lower).find()) {
            // a plain question asks for information; it is not a complaint by itself
            raw -= 1.0;
        }
        for (String phrase : PHRASES) {
            if (lower.contains(phrase)) {
                raw += 1.5;
            }
        }
        Matcher shouted = SHOUTED.matcher(text);
        while (shouted.find()) {
            raw += 0.7;
        }
        if (EXCLAIMED.matcher(text).find()) {
            raw += 1.0;
        }
        // a logistic squash: 0 words of frustration read as mildly calm, three strong ones as frustrated
        return 1 / (1 + Math.exp(-(raw - 1.5)));
    }

    /**
     * The frustration of the latest message in the light of the earlier ones (oldest first): the
     * larger of the message's own score and the decayed score of the history.
     */
    static double ofConversation(List<String> earlier, String latest) {
        double history = 0;
        double weight = HISTORY_DECAY;
        for (int i = earlier.size() - 1; i >= 0 && weight > 0.05; i--, weight *= HISTORY_DECAY) {
            history = Math.max(history, weight * of(earlier.get(i)));
        }
        return Math.max(of(latest), history);
    }
}

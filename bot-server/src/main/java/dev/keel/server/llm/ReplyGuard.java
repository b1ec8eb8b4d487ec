package dev.keel.server.llm;

import dev.keel.kb.SearchHit;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks model output before any of it reaches the customer, piece by piece as it streams. Text is
 * released a word at a time (a markup construct as a whole), each release checked against
 * everything written so far:
 * <ul>
 *   <li>the prompt boundary: the canary, or eight words in a row from the instructions, means the
 *       reply is leaking the prompt;</li>
 *   <li>grounding: every number must appear in the retrieved passages, and the bot may not promise
 *       to refund, credit or otherwise act, since it cannot;</li>
 *   <li>safe rendering: HTML is dropped, images are dropped, links to hosts not allowed keep only
 *       their text, and citation markers are taken out and kept only for retrieved articles.</li>
 * </ul>
 * A failed check throws {@link Violation}; nothing of the offending piece has been released.
 */
final class ReplyGuard {
    private static final int RUN_WORDS = 8;
    /** Past this much held-back text, release it anyway, so that an unclosed bracket cannot stall a reply. */
    private static final int MAX_HELD_CHARS = 400;
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
    private static final Pattern NOT_LETTER_OR_NUMBER = Pattern.compile("[^\\p{L}\\p{N}]");
    private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");
    private static final Map<String, String> NUMBER_WORDS = numberWords();
    private static final Pattern PROMISE = Pattern.compile(
            "\\b(?:i|we)(?:\\s*['’]ll|\\s+will|\\s+can|\\s*['’]ve|\\s+have|\\s+shall|\\s+(?:am|are) going to)"
                    + "(?:\\s+(?:also|then|now|immediately|gladly|happily|personally|go ahead and))?"
                    + "\\s+(?:refund|credit|reimburse|waive|compensate|issue|process|grant|approve|arrange|give you|send you)\\w*",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern CITATION = Pattern.compile("\\s?\\[([A-Za-z0-9][A-Za-z0-9._-]{0,80})](?!\\()");
    private static final Pattern IMAGE = Pattern.compile("!\\[[^\\]]*]\\([^)]*\\)");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]*)]\\(\\s*([^)\\s]*)[^)]*\\)");
    private static final Pattern TAG = Pattern.compile("<[^>]*>|<[a-zA-Z!/][^\\s]*");
    private static final Pattern URL = Pattern.compile("(?i)\\b(?:https?://|ftp://|www\\.)[^\\s)\\]]+|\\b(?:javascript|data|vbscript):\\S*");

    enum Reason { PROMPT_LEAK, UNGROUNDED_NUMBER, PROMISE }

    static final class Violation extends RuntimeException {
        private final Reason reason;

        Violation(Reason reason, String detail) {
            super(reason + ": " + detail, null, false, false);
            this.reason = reason;
        }

        Reason reason() {
            return reason;
        }
    }

    /** What a reply must not give away, prepared once: the canary and every eight-word run of the instructions. */
    static final class Secrets {
        private final String canary;
        private final Set<String> runs;

        Secrets(String canary, String instructions) {
            this.canary = squash(canary);
            this.runs = runs(words(instructions));
        }
    }

    /** How much released text is checked again with each new piece: enough for any phrase checked for. */
    private static final int OVERLAP_CHARS = 200;

    private final Secrets secrets;
    private final Set<String> groundedNumbers;
    private final Set<String> retrievedIds;
    private final Set<String> allowedHosts;
    private final Set<String> cited = new LinkedHashSet<>();
    /** The tail of the text released so far. */
    private final StringBuilder released = new StringBuilder();
    private final List<String> releasedWords = new ArrayList<>();
    private final StringBuilder held = new StringBuilder();

    ReplyGuard(Secrets secrets, List<SearchHit> hits, List<String> allowedHosts) {
        this.secrets = secrets;
        this.groundedNumbers = new HashSet<>();
        this.retrievedIds = new HashSet<>();
        for (SearchHit hit : hits) {
            groundedNumbers.addAll(numbers(hit.title() + "\n" + hit.passage().text()));
            retrievedIds.add(hit.articleId());
        }
        this.allowedHosts = Set.copyOf(allowedHosts);
    }

    /** Takes a piece of model output; returns what may be shown now (possibly nothing). */
    String accept(String piece) {
        held.append(piece);
        int cut = releasePoint();
        if (cut <= 0) {
            return "";
        }
        String chunk = held.substring(0, cut);
        held.delete(0, cut);
        return release(chunk);
    }

    /** The rest, once the model has finished. */
    String finish() {
        String chunk = held.toString();
        held.setLength(0);
        return release(chunk);
    }

    /** The retrieved articles the reply cited, in order of first citation. */
    Set<String> cited() {
        return cited;
    }

    private int releasePoint() {
        int cut = held.length() - 1;
        while (cut >= 0 && !Character.isWhitespace(held.charAt(cut))) {
            cut--;
        }
        // keep the space before the next word: it goes if that word turns out to be a citation marker
        while (cut > 0 && Character.isWhitespace(held.charAt(cut - 1))) {
            cut--;
        }
        if (cut > 0 && unbalanced(held.substring(0, cut)) && held.length() < MAX_HELD_CHARS) {
            return -1;
        }
        return cut;
    }

    private static boolean unbalanced(String text) {
        return count(text, '<') > count(text, '>') || count(text, '[') > count(text, ']') || count(text, '(') > count(text, ')');
    }

    private String release(String chunk) {
        check(chunk);
        String safe = render(chunk);
        released.append(chunk);
        if (released.length() > 2 * OVERLAP_CHARS) {
            released.delete(0, released.length() - OVERLAP_CHARS);
        }
        return safe;
    }

    /**
     * Checks a new piece against the text before it. Pieces end at word boundaries, so a number is
     * never split; phrases that may span pieces are checked on the piece with the tail of what came
     * before, and runs of words on the last seven released words followed by the new ones.
     */
    private void check(String chunk) {
        String window = released.substring(Math.max(0, released.length() - OVERLAP_CHARS)) + chunk;
        if (squash(window).contains(secrets.canary)) {
            throw new Violation(Reason.PROMPT_LEAK, "the reply contains the canary");
        }
        List<String> fresh = words(chunk);
        List<String> recent = new ArrayList<>(releasedWords.subList(Math.max(0, releasedWords.size() - (RUN_WORDS - 1)),
                releasedWords.size()));
        recent.addAll(fresh);
        for (String run : runs(recent)) {
            if (secrets.runs.contains(run)) {
                throw new Violation(Reason.PROMPT_LEAK, "the reply repeats the instructions");
            }
        }
        for (String number : numbers(chunk)) {
            if (!groundedNumbers.contains(number)) {
                throw new Violation(Reason.UNGROUNDED_NUMBER, "'" + number + "' is in no retrieved passage");
            }
        }
        Matcher promise = PROMISE.matcher(window);
        if (promise.find()) {
            throw new Violation(Reason.PROMISE, "'" + promise.group() + "'");
        }
        releasedWords.addAll(fresh);
    }

    /** Plain text only: citations out, images and HTML out, links only to allowed hosts. */
    private String render(String chunk) {
        Matcher m = CITATION.matcher(chunk);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            if (retrievedIds.contains(m.group(1))) {
                cited.add(m.group(1));
            }
            m.appendReplacement(out, "");
        }
        m.appendTail(out);
        String text = IMAGE.matcher(out).replaceAll("");
        Matcher link = LINK.matcher(text);
        out = new StringBuilder();
        while (link.find()) {
            String keep = allowed(link.group(2)) ? link.group() : link.group(1);
            link.appendReplacement(out, Matcher.quoteReplacement(keep));
        }
        link.appendTail(out);
        text = TAG.matcher(out).replaceAll("");
        Matcher url = URL.matcher(text);
        out = new StringBuilder();
        while (url.find()) {
            url.appendReplacement(out, Matcher.quoteReplacement(allowed(url.group()) ? url.group() : "(link removed)"));
        }
        url.appendTail(out);
        return out.toString();
    }

    private boolean allowed(String target) {
        String candidate = target.toLowerCase(Locale.ROOT).startsWith("www.") ? "https://" + target : target;
        try {
            URI uri = URI.create(candidate);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("https") || scheme.equals("http")) && uri.getHost() != null
                    && allowedHosts.contains(uri.getHost().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Numbers written in digits or as words, normalised: "14", "fourteen" and "14.0" are one number.
     * "one" is left out as a word: it is far more often a pronoun than a quantity.
     */
    static Set<String> numbers(String text) {
        Set<String> found = new HashSet<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) {
            found.add(normalise(m.group()));
        }
        for (String word : words(text)) {
            String value = NUMBER_WORDS.get(word);
            if (value != null) {
                found.add(value);
            }
        }
        return found;
    }

    private static String normalise(String number) {
        String plain = number.replaceAll(",(?=\\d{3}\\b)", "").replace(',', '.');
        if (plain.contains(".")) {
            plain = plain.replaceAll("\\.0+$", "");
        }
        return plain.replaceFirst("^0+(?=\\d)", "");
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }

    private static Set<String> runs(List<String> words) {
        Set<String> runs = new HashSet<>();
        for (int i = 0; i + RUN_WORDS <= words.size(); i++) {
            runs.add(String.join(" ", words.subList(i, i + RUN_WORDS)));
        }
        return runs;
    }

    private static String squash(String text) {
        return NOT_LETTER_OR_NUMBER.matcher(text.toLowerCase(Locale.ROOT)).replaceAll("");
    }

    private static int count(String text, char c) {
        return (int) text.chars().filter(x -> x == c).count();
    }

    private static Map<String, String> numberWords() {
        String[] small = {null, null, "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
        Map<String, String> words = new java.util.HashMap<>();
        for (int i = 2; i < small.length; i++) {
            words.put(small[i], Integer.toString(i));
        }
        String[] tens = {"thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
        for (int i = 0; i < tens.length; i++) {
            words.put(tens[i], Integer.toString(30 + 10 * i));
        }
        words.put("hundred", "100");
        words.put("thousand", "1000");
        words.put("twice", "2");
        words.put("dozen", "12");
        return words;
    }
}

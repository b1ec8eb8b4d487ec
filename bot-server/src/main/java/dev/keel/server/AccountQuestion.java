package dev.keel.server;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Whether a message is about the visitor's own account: its state ("when does my plan renew?", "what is my
 * balance", "why was I charged twice?") or a change to it ("change my billing address", "I want to cancel my
 * contract"). Such a question can only be answered for someone Keel knows, so an unverified visitor is asked to sign
 * in instead.
 *
 * <p>The test is plain on purpose: the message speaks of its own account (a first-person possessive before an
 * account noun, or "I" with a billing verb) and is not framed as a question of how things are done ("how do I pause
 * my plan?", "can I pause my plan for a month?", "what is the best way to close my account?"), which the help
 * articles answer for anyone, and does not come from someone who says they cannot sign in. It leans towards letting a question through: a how-to question wrongly held back
 * would cost every visitor an answer, an account question let through only gets a general answer.
 */
final class AccountQuestion {
    private static final String ACCOUNT_NOUN = "(?:account|plan|plans|subscription|bill|bills|billing|invoice|invoices"
            + "|balance|payment|payments|charge|charges|contract|renewal|address|card|usage|statement|refund"
            + "|package|details|profile|due date)";
    /**
     * "my plan", "our monthly bill", "my billing address", "my credit card": at most two plain words in between, so
     * that "my facebook account" (someone else's service) does not count.
     */
    private static final Pattern OWN_ACCOUNT = Pattern.compile("\\b(?:my|our)\\s+(?:(?:current|monthly|last|latest|next"
            + "|new|old|billing|credit|debit|mobile|phone|internet|home|shipping|postal|mailing|annual|yearly|data"
            + "|family|fiber|first|recent|upcoming|outstanding|unpaid|overdue|final|whole|total|payment|service"
            + "|contract|plan|account|bank)\\s+){0,2}" + ACCOUNT_NOUN + "\\b");
    /** Someone who cannot sign in: asking them to would not help; the articles and a person can. */
    private static final Pattern CANNOT_SIGN_IN = Pattern.compile(
            "\\b(?:password|passcode|pin|pin code|log\\s*in|login|logged|sign\\s*in|signed|locked|username)\\b");
    /** "do I owe", "was I charged", "they billed me", "I got charged". */
    private static final Pattern FIRST_PERSON_BILLING = Pattern.compile(
            "\\b(?:i|we)\\s+(?:(?:was|were|been|got|get|am|are|being)\\s+)?(?:owe|charged|billed|overcharged)\\b"
                    + "|\\b(?:charged|billed|overcharged|charging|billing)\\s+(?:me|us)\\b");
    /** A question of how something is done, whoever asks: the help articles answer it. */
    private static final Pattern HOW_TO = Pattern.compile(
            "\\bhow\\s+(?:do|can|could|would|should|does|to)\\b|\\b(?:can|could|may)\\s+i\\b"
                    + "|\\bis\\s+it\\s+possible\\b|\\b(?:a|the|best|right|easiest|quickest|fastest)\\s+way\\s+(?:to|of)\\b"
                    + "|\\bwhere\\s+(?:do|can|could|should)\\s+i\\b|\\bsteps\\s+to\\b|\\bprocess\\s+(?:to|for|of)\\b"
                    + "|\\bwhat\\s+(?:do|should)\\s+i\\s+(?:need\\s+to\\s+)?do\\b|\\bhow\\s+i\\s+(?:can|could|should)\\b");

    private AccountQuestion() {
    }

    /** Whether {@code text} asks about, or to change, the sender's own account. */
    static boolean isAccountSpecific(String text) {
        String t = text.toLowerCase(Locale.ROOT).replace('’', '\'').strip();
        if (HOW_TO.matcher(t).find() || CANNOT_SIGN_IN.matcher(t).find()) {
            return false;
        }
        return OWN_ACCOUNT.matcher(t).find() || FIRST_PERSON_BILLING.matcher(t).find();
    }
}

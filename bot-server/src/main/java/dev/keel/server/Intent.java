package dev.keel.server;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a customer's message asks for, as far as escalation cares. The {@link IntentClassifier}
 * decides; the phrase rules here back it up for explicit requests the training data lacks
 * (for example "I'm switching to another provider").
 */
enum Intent {
    /** Asks for a person. */
    HUMAN,
    /** Wants to cancel, leave, close the account or end the contract, or asks what leaving costs. */
    CHURN,
    /** Complains about the service or wants to file a complaint. */
    COMPLAINT,
    /** Anything else. */
    OTHER;

    private static final Pattern ASKS_FOR_HUMAN = Pattern.compile(
            "\\b(human|real person|a person|live (agent|chat|person)|an agent|(customer )?service agent|representative|"
                    + "operator|someone (real|from (your|the) (team|company|staff))|(talk|speak|chat) (to|with) (someone|somebody|a person|an agent|support staff|your staff))\\b");
    private static final Pattern WANTS_TO_LEAVE = Pattern.compile(
            "\\b(cancel(l?ing|l?ation|led)? (my|the|our) (account|contract|service|plan|subscription|internet|broadband)|"
                    + "cancel(l?ation)? fees?|terminat(e|ing|ion) (my|the|our) (account|contract|service)|close (my|the|our) account|"
                    + "leav(e|ing) (you|larkspur|this (company|provider))|"
                    + "switch(ing)? (to another|providers?|to a different)|quit(ting)? (my|the|your) (service|plan|contract)|"
                    + "end (my|the|our) (contract|service|plan)|get out of (my|the|this) contract|disconnect (my|the) service|"
                    + "(i'?m|i am|we'?re|we are) (cancell?ing|leaving|switching)(?! (the|an?|my|this|that) (order|purchase|item|booking)))\\b");

    /** The label used in data files and API output. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Intent ofLabel(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }

    /** The intent an explicit phrase states, if any: asking for a person first, then leaving. */
    static Optional<Intent> byRules(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (ASKS_FOR_HUMAN.matcher(lower).find()) {
            return Optional.of(HUMAN);
        }
        if (WANTS_TO_LEAVE.matcher(lower).find()) {
            return Optional.of(CHURN);
        }
        return Optional.empty();
    }
}

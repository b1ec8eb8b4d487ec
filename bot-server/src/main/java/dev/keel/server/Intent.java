package dev.keel.server;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a customer's message asks for, as far as escalation cares.
 *
 * <p>These first rules look for explicit phrases only; a message that merely mentions a topic
 * ("what does cancelling cost?") still counts, because a customer who asks it is thinking of leaving.
 */
enum Intent {
    /** Asks for a person. */
    HUMAN,
    /** Wants to cancel, leave, close the account or end the contract. */
    CHURN,
    /** Anything else. */
    OTHER;

    private static final Pattern ASKS_FOR_HUMAN = Pattern.compile(
            "\\b(human|real person|a person|live (agent|chat|person)|an agent|(customer )?service agent|representative|"
                    + "operator|someone (real|from (your|the) (team|company|staff))|(talk|speak|chat) (to|with) (someone|somebody|a person|an agent|support staff|your staff))\\b");
    private static final Pattern WANTS_TO_LEAVE = Pattern.compile(
            "\\b(cancel(l?ing|l?ation|led)?|terminat(e|ing|ion)|close (my|the|our) account|leav(e|ing) (you|larkspur|this (company|provider))|"
                    + "switch(ing)? (to another|providers?|to a different)|quit(ting)? (my|the|your) (service|plan|contract)|"
                    + "end (my|the|our) (contract|service|plan)|get out of (my|the|this) contract|disconnect (my|the) service)\\b");

    static Intent of(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (ASKS_FOR_HUMAN.matcher(lower).find()) {
            return HUMAN;
        }
        if (WANTS_TO_LEAVE.matcher(lower).find()) {
            return CHURN;
        }
        return OTHER;
    }
}

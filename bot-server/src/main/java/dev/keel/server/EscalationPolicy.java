package dev.keel.server;

import dev.keel.churn.RiskBand;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Decides, from the signals of one turn, whether the bot answers, offers a person or hands the
 * conversation over. The rules are tried in order; the first that applies
 * decides, and every decision names its reasons. Customers of high churn risk meet lower
 * thresholds, so they are offered a person sooner.
 */
final class EscalationPolicy {
    static final String ACCOUNT_NEEDS_SIGN_IN = "ACCOUNT_NEEDS_SIGN_IN";

    /** The thresholds, read at every decision: an admin may change them while Keel runs. */
    private final Supplier<EscalationConfig> config;

    EscalationPolicy(EscalationConfig config) {
        this(() -> config);
    }

    EscalationPolicy(Supplier<EscalationConfig> config) {
        this.config = config;
    }

    /**
     * The signals of one turn.
     *
     * @param frustration    the customer's frustration in [0, 1], history included
     * @param repeats        how many times the customer has now asked for the same thing, this message included
     * @param failuresBefore how many of the bot's latest answers in a row did not answer
     * @param signInNeeded   the visitor is not verified and asks about their own account ({@link AccountQuestion})
     */
    record Signals(Intent intent, RiskBand risk, double answerability, boolean somethingToSearch,
                   double frustration, int repeats, int failuresBefore, boolean signInNeeded) {
        /** The signals of a turn that needs no sign-in. */
        Signals(Intent intent, RiskBand risk, double answerability, boolean somethingToSearch,
                double frustration, int repeats, int failuresBefore) {
            this(intent, risk, answerability, somethingToSearch, frustration, repeats, failuresBefore, false);
        }

        /** The signals of a single first message with no history. */
        static Signals firstMessage(Intent intent, RiskBand risk, double answerability, boolean somethingToSearch) {
            return new Signals(intent, risk, answerability, somethingToSearch, 0, 1, 0);
        }

        boolean highRisk() {
            return risk == RiskBand.HIGH;
        }

        String riskReason() {
            return "CHURN_RISK_" + risk.name();
        }
    }

    record Outcome(Decision decision, List<String> reasons) {
    }

    /** Each rule gives the decision and its reasons when it applies, and nothing otherwise. */
    private final List<Function<Signals, Optional<Outcome>>> rules = List.of(
            s -> when(s.intent() == Intent.HUMAN, Decision.HANDOFF, "INTENT_HUMAN", s.riskReason()),
            // an account question from someone Keel does not know: neither an answer about an account nor a
            // hand-off as that customer, but a sign-in prompt (with a person offered for who cannot sign in)
            s -> when(s.signInNeeded(), Decision.ANSWER_AND_OFFER_HUMAN, ACCOUNT_NEEDS_SIGN_IN),
            s -> when(s.intent() == Intent.CHURN && s.highRisk(), Decision.HANDOFF, "INTENT_CHURN", s.riskReason()),
            s -> when(s.intent() == Intent.CHURN, Decision.ANSWER_AND_OFFER_HUMAN, "INTENT_CHURN", s.riskReason()),
            s -> when(isOffTopic(s), Decision.ANSWER, "OFF_TOPIC"),
            s -> when(s.repeats() >= repeatLimit(), Decision.HANDOFF, "REPEATED_QUESTION", s.riskReason()),
            s -> when(s.frustration() >= frustrationThreshold(s),
                    s.highRisk() ? Decision.HANDOFF : Decision.ANSWER_AND_OFFER_HUMAN, "FRUSTRATED", s.riskReason()),
            s -> when(!answers(s) && s.failuresBefore() + 1 >= failureLimit(s), Decision.HANDOFF, "FAILED_ANSWERS",
                    s.riskReason()),
            s -> when(s.intent() == Intent.COMPLAINT,
                    s.highRisk() ? Decision.HANDOFF : Decision.ANSWER_AND_OFFER_HUMAN, "INTENT_COMPLAINT", s.riskReason()),
            s -> when(!s.somethingToSearch(), Decision.ANSWER, "NOTHING_TO_SEARCH"),
            s -> when(!covers(s.answerability()), Decision.ANSWER_AND_OFFER_HUMAN, "NOT_IN_KNOWLEDGE_BASE"),
            s -> when(s.highRisk() && s.failuresBefore() > 0, Decision.ANSWER_AND_OFFER_HUMAN,
                    "ANSWERED_FROM_KNOWLEDGE_BASE", "EARLIER_ANSWERS_FAILED", s.riskReason()),
            s -> when(true, Decision.ANSWER, "ANSWERED_FROM_KNOWLEDGE_BASE"));

    Outcome decide(Signals s) {
        for (Function<Signals, Optional<Outcome>> rule : rules) {
            Optional<Outcome> outcome = rule.apply(s);
            if (outcome.isPresent()) {
                return outcome.get();
            }
        }
        throw new IllegalStateException("the last rule always applies");
    }

    /** Whether retrieval found something that answers the question. */
    boolean covers(double answerability) {
        return answerability >= config.get().minAnswerability();
    }

    /**
     * A message the knowledge base does not cover and that matches nothing in it strongly, with no
     * intent of interest ("what's a good lasagna recipe?"): it alone never hands over nor counts as
     * frustration. Answerability alone cannot tell it apart from an on-topic question the articles
     * miss, the best retrieval score can.
     */
    boolean isOffTopic(Signals s) {
        return s.intent() == Intent.OTHER && s.somethingToSearch() && !covers(s.answerability())
                && s.answerability() < config.get().offTopicBelow();
    }

    /** Whether this turn failed to answer: the bot found nothing, or nothing good enough. */
    boolean answers(Signals s) {
        return s.somethingToSearch() && covers(s.answerability());
    }

    private int repeatLimit() {
        return config.get().repeatsBeforeHandoff();
    }

    private double frustrationThreshold(Signals s) {
        return s.highRisk() ? config.get().frustrationHighRisk() : config.get().frustrationThreshold();
    }

    private int failureLimit(Signals s) {
        return s.highRisk() ? config.get().failuresHighRisk() : config.get().failuresBeforeHandoff();
    }

    private static Optional<Outcome> when(boolean applies, Decision decision, String... reasons) {
        return applies ? Optional.of(new Outcome(decision, new ArrayList<>(List.of(reasons)))) : Optional.empty();
    }
}

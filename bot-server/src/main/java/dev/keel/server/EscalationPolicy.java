package dev.keel.server;

import dev.keel.churn.RiskBand;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides, from the signals of one turn, whether the bot answers, offers a person or hands the
 * conversation over. The rules are tried in order and every decision names its reasons.
 */
final class EscalationPolicy {
    /** Below this answerability the knowledge base is taken not to cover the question. */
    private final double minAnswerability;

    EscalationPolicy(double minAnswerability) {
        this.minAnswerability = minAnswerability;
    }

    /** Whether retrieval found something that answers the question. */
    boolean covers(double answerability) {
        return answerability >= minAnswerability;
    }

    /** The signals of one turn. */
    record Signals(Intent intent, RiskBand risk, double answerability, boolean somethingToSearch) {
    }

    record Outcome(Decision decision, List<String> reasons) {
    }

    Outcome decide(Signals s) {
        List<String> reasons = new ArrayList<>();
        String riskReason = "CHURN_RISK_" + s.risk().name();
        if (s.intent() == Intent.HUMAN) {
            reasons.add("INTENT_HUMAN");
            reasons.add(riskReason);
            return new Outcome(Decision.HANDOFF, reasons);
        }
        if (s.intent() == Intent.CHURN) {
            reasons.add("INTENT_CHURN");
            reasons.add(riskReason);
            return new Outcome(s.risk() == RiskBand.HIGH ? Decision.HANDOFF : Decision.ANSWER_AND_OFFER_HUMAN, reasons);
        }
        if (!s.somethingToSearch()) {
            reasons.add("NOTHING_TO_SEARCH");
            return new Outcome(Decision.ANSWER, reasons);
        }
        if (!covers(s.answerability())) {
            reasons.add("NOT_IN_KNOWLEDGE_BASE");
            return new Outcome(Decision.ANSWER_AND_OFFER_HUMAN, reasons);
        }
        reasons.add("ANSWERED_FROM_KNOWLEDGE_BASE");
        return new Outcome(Decision.ANSWER, reasons);
    }
}

package dev.keel.server;

import dev.keel.churn.RiskBand;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EscalationPolicyTest {
    private final EscalationPolicy policy = new EscalationPolicy(0.45);

    @Test
    void highRiskCustomerWithChurnIntentGoesToAPersonAtOnce() {
        EscalationPolicy.Outcome outcome = policy.decide(new EscalationPolicy.Signals(Intent.CHURN, RiskBand.HIGH, 0.9, true));
        assertThat(outcome.decision()).isEqualTo(Decision.HANDOFF);
        assertThat(outcome.reasons()).containsExactly("INTENT_CHURN", "CHURN_RISK_HIGH");
    }

    @Test
    void lowRiskCustomerWithChurnIntentIsOfferedAPerson() {
        EscalationPolicy.Outcome outcome = policy.decide(new EscalationPolicy.Signals(Intent.CHURN, RiskBand.LOW, 0.9, true));
        assertThat(outcome.decision()).isEqualTo(Decision.ANSWER_AND_OFFER_HUMAN);
    }

    @Test
    void askingForAPersonHandsOffWhateverTheRisk() {
        for (RiskBand band : RiskBand.values()) {
            assertThat(policy.decide(new EscalationPolicy.Signals(Intent.HUMAN, band, 0.0, true)).decision())
                    .isEqualTo(Decision.HANDOFF);
        }
    }

    @Test
    void unansweredQuestionIsOfferedAPersonAndAnsweredOneIsNot() {
        assertThat(policy.decide(new EscalationPolicy.Signals(Intent.OTHER, RiskBand.LOW, 0.2, true)).reasons())
                .containsExactly("NOT_IN_KNOWLEDGE_BASE");
        assertThat(policy.decide(new EscalationPolicy.Signals(Intent.OTHER, RiskBand.LOW, 0.8, true)).decision())
                .isEqualTo(Decision.ANSWER);
        assertThat(policy.decide(new EscalationPolicy.Signals(Intent.OTHER, RiskBand.UNKNOWN, 0.0, false)).reasons())
                .containsExactly("NOTHING_TO_SEARCH");
    }

    @Test
    void templatesLoadAndRecordTheirVersion() {
        Templates templates = Templates.load();
        assertThat(templates.render("reply-handoff", java.util.Map.of("position", "3"))).contains("number 3");
        assertThat(templates.version("reply-answer")).startsWith("reply-answer@");
        assertThat(templates.render("reply-answer", java.util.Map.of("title", "{position}", "passage", "$1")))
                .contains("{position}").contains("$1");
    }
}

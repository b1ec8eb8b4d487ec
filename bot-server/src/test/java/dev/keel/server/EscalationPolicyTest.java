package dev.keel.server;

import dev.keel.churn.RiskBand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class EscalationPolicyTest {
    private final EscalationPolicy policy = new EscalationPolicy(0.45);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "I want to cancel my contract.|CHURN",
            "How much is the fee for cancelling early?|CHURN",
            "please close my account|CHURN",
            "I'm switching to another provider|CHURN",
            "Can I talk to a real person?|HUMAN",
            "let me speak with an agent|HUMAN",
            "I need a human|HUMAN",
            "How do I set up automatic payments?|OTHER",
            "My internet keeps dropping|OTHER"})
    void readsTheIntentOfAMessage(String text, Intent expected) {
        assertThat(Intent.of(text)).isEqualTo(expected);
    }

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

package dev.keel.server;

import dev.keel.churn.RiskBand;
import org.junit.jupiter.api.Test;

import java.time.ZonedDateTime;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EscalationPolicyTest {
    private final EscalationPolicy policy = new EscalationPolicy(EscalationConfig.defaults());

    private static EscalationPolicy.Signals first(Intent intent, RiskBand risk, double answerability) {
        return EscalationPolicy.Signals.firstMessage(intent, risk, answerability, true);
    }

    private static EscalationPolicy.Signals later(RiskBand risk, double answerability, double frustration, int repeats,
                                                  int failuresBefore) {
        return new EscalationPolicy.Signals(Intent.OTHER, risk, answerability, true, frustration, repeats, failuresBefore);
    }

    @Test
    void highRiskCustomerWithChurnIntentGoesToAPersonAtOnce() {
        EscalationPolicy.Outcome outcome = policy.decide(first(Intent.CHURN, RiskBand.HIGH, 0.9));
        assertThat(outcome.decision()).isEqualTo(Decision.HANDOFF);
        assertThat(outcome.reasons()).containsExactly("INTENT_CHURN", "CHURN_RISK_HIGH");
    }

    @Test
    void lowRiskCustomerWithChurnIntentIsOfferedAPerson() {
        assertThat(policy.decide(first(Intent.CHURN, RiskBand.LOW, 0.9)).decision()).isEqualTo(Decision.ANSWER_AND_OFFER_HUMAN);
    }

    @Test
    void askingForAPersonHandsOffWhateverTheRisk() {
        for (RiskBand band : RiskBand.values()) {
            assertThat(policy.decide(first(Intent.HUMAN, band, 0.0)).decision()).isEqualTo(Decision.HANDOFF);
        }
    }

    @Test
    void unansweredQuestionIsOfferedAPersonAndAnsweredOneIsNot() {
        assertThat(policy.decide(first(Intent.OTHER, RiskBand.LOW, 0.3)).reasons()).containsExactly("NOT_IN_KNOWLEDGE_BASE");
        assertThat(policy.decide(first(Intent.OTHER, RiskBand.LOW, 0.8)).decision()).isEqualTo(Decision.ANSWER);
        assertThat(policy.decide(EscalationPolicy.Signals.firstMessage(Intent.OTHER, RiskBand.UNKNOWN, 0.0, false)).reasons())
                .containsExactly("NOTHING_TO_SEARCH");
    }

    @Test
    void offTopicMessagesAloneNeverHandOffNorCountAsFrustration() {
        EscalationPolicy.Outcome outcome = policy.decide(new EscalationPolicy.Signals(Intent.OTHER, RiskBand.HIGH, 0.1,
                true, 0.95, 5, 4));
        assertThat(outcome.decision()).isEqualTo(Decision.ANSWER);
        assertThat(outcome.reasons()).containsExactly("OFF_TOPIC");
    }

    @Test
    void theSameQuestionAskedThreeTimesGoesToAPerson() {
        assertThat(policy.decide(later(RiskBand.LOW, 0.8, 0, 2, 0)).decision()).isEqualTo(Decision.ANSWER);
        EscalationPolicy.Outcome third = policy.decide(later(RiskBand.LOW, 0.8, 0, 3, 0));
        assertThat(third.decision()).isEqualTo(Decision.HANDOFF);
        assertThat(third.reasons()).startsWith("REPEATED_QUESTION");
    }

    @Test
    void highRiskCustomersAreOfferedAPersonSooner() {
        // frustration between the two thresholds: a person for the high-risk customer only
        assertThat(policy.decide(later(RiskBand.LOW, 0.8, 0.65, 1, 0)).decision()).isEqualTo(Decision.ANSWER);
        assertThat(policy.decide(later(RiskBand.HIGH, 0.8, 0.65, 1, 0)).decision()).isEqualTo(Decision.HANDOFF);
        assertThat(policy.decide(later(RiskBand.LOW, 0.8, 0.8, 1, 0)).reasons()).startsWith("FRUSTRATED");

        // a second unanswered question in a row: a hand-off for high risk, an offer for the others
        assertThat(policy.decide(later(RiskBand.HIGH, 0.3, 0, 1, 1)).reasons()).startsWith("FAILED_ANSWERS");
        assertThat(policy.decide(later(RiskBand.LOW, 0.3, 0, 1, 1)).decision()).isEqualTo(Decision.ANSWER_AND_OFFER_HUMAN);
        assertThat(policy.decide(later(RiskBand.LOW, 0.3, 0, 1, 2)).decision()).isEqualTo(Decision.HANDOFF);

        // an answer after a failed one: the high-risk customer is offered a person with it
        assertThat(policy.decide(later(RiskBand.HIGH, 0.8, 0, 1, 1)).decision()).isEqualTo(Decision.ANSWER_AND_OFFER_HUMAN);
    }

    @Test
    void complaintsAreOfferedAPersonAndHighRiskOnesHandedOver() {
        assertThat(policy.decide(first(Intent.COMPLAINT, RiskBand.LOW, 0.8)).decision()).isEqualTo(Decision.ANSWER_AND_OFFER_HUMAN);
        assertThat(policy.decide(first(Intent.COMPLAINT, RiskBand.HIGH, 0.8)).decision()).isEqualTo(Decision.HANDOFF);
    }

    @Test
    void thresholdsComeFromTheEnvironment() {
        EscalationConfig config = EscalationConfig.from(Map.of("KEEL_REPEATS_BEFORE_HANDOFF", "2",
                "KEEL_BUSINESS_HOURS", "Mon-Fri 08:00-18:00 Europe/London"), 0.45);
        assertThat(new EscalationPolicy(config).decide(later(RiskBand.LOW, 0.8, 0, 2, 0)).decision()).isEqualTo(Decision.HANDOFF);
        EscalationConfig.BusinessHours hours = config.hours();
        assertThat(hours.isOpen(ZonedDateTime.parse("2026-12-02T10:00:00Z").toInstant().toEpochMilli())).isTrue();
        assertThat(hours.isOpen(ZonedDateTime.parse("2026-12-02T19:00:00Z").toInstant().toEpochMilli())).isFalse();
        assertThat(hours.isOpen(ZonedDateTime.parse("2026-12-05T10:00:00Z").toInstant().toEpochMilli())).isFalse();
        assertThatThrownBy(() -> EscalationConfig.from(Map.of("KEEL_FRUSTRATION_THRESHOLD", "high"), 0.45))
                .hasMessageContaining("KEEL_FRUSTRATION_THRESHOLD");
    }

    @Test
    void templatesLoadAndRecordTheirVersion() {
        Templates templates = Templates.load();
        assertThat(templates.render("reply-handoff", Map.of("position", "3", "wait", "6"))).contains("number 3");
        assertThat(templates.version("reply-answer")).startsWith("reply-answer@");
        assertThat(templates.render("reply-answer", Map.of("title", "{position}", "passage", "$1")))
                .contains("{position}").contains("$1");
    }

    @Test
    void visitorHtmlIsRemovedAndMarkdownKept() {
        assertThat(VisitorText.clean("Order help please <img src=\"q\" onerror=\"window.__pwn=1\"> **thanks**"))
                .doesNotContain("<img").doesNotContain("onerror").contains("**thanks**");
        assertThat(VisitorText.clean("<<b>img src=x onerror=alert(1)>hi")).doesNotContain("onerror").contains("hi");
        assertThat(VisitorText.clean("<script>alert(1)</script>2 < 3 and 5 > 4")).doesNotContain("<script").contains("2 < 3");
        assertThat(VisitorText.clean("trailing <img src=x onerror=alert(1)")).isEqualTo("trailing");
    }

    @Test
    void historyCountsRepeatsAndFailuresButNotOffTopicTurns() {
        TurnHistory history = new TurnHistory(java.util.List.of(
                new io.vertx.core.json.JsonObject().put("text", "how do I pause my plan").put("answered", false),
                new io.vertx.core.json.JsonObject().put("text", "lasagna recipe").put("offTopic", true),
                new io.vertx.core.json.JsonObject().put("text", "pause plan how?").put("answered", false)));
        assertThat(history.repeatsOf("I want to pause my plan")).isEqualTo(3);
        assertThat(history.failuresInARow()).isEqualTo(2);
        assertThat(history.frustrationTexts()).hasSize(2);
    }
}

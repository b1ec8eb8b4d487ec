package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The intent classifier on the held-out part of the shared intent file, the phrase rules on
 * telecom phrasings that file lacks, and the model shipped in the jar.
 */
class IntentClassifierTest {
    private static final Path INTENTS = Path.of(System.getProperty("keel.shared.data", "../../shared/data"),
            "escalation/intents.jsonl");
    private static final IntentClassifier BUNDLED = IntentClassifier.bundled();

    private static LabelledText.Split split;
    private static IntentClassifier trained;

    @BeforeAll
    static void train() {
        assumeTrue(Files.exists(INTENTS), "shared intent data not found at " + INTENTS);
        split = LabelledText.split(LabelledText.read(INTENTS, "intent"), IntentClassifier.TEST_SHARE, IntentClassifier.SEED);
        trained = IntentClassifier.train(split.train());
    }

    @Test
    void meetsTheTargetsOnTheHeldOutPart() {
        JsonObject report = IntentCommand.evaluate(split.test(), t -> trained.read(t).intent());
        assertThat(report.getDouble("macroF1")).isGreaterThanOrEqualTo(0.90);
        for (String intent : List.of("churn", "human")) {
            JsonObject one = report.getJsonObject("classes").getJsonObject(intent);
            assertThat(one.getDouble("recall")).as(intent + " recall").isGreaterThanOrEqualTo(0.95);
            assertThat(one.getDouble("precision")).as(intent + " precision").isGreaterThanOrEqualTo(0.85);
        }
    }

    @Test
    void phraseRulesRaiseTheScoreOnTelecomPhrasings() throws Exception {
        Path telecom = Path.of(IntentClassifierTest.class.getResource("/intent/telecom-messages.jsonl").toURI());
        List<LabelledText> messages = LabelledText.read(telecom, "intent");
        double combined = IntentCommand.evaluate(messages, t -> trained.read(t).intent()).getDouble("macroF1");
        double modelOnly = IntentCommand.evaluate(messages, t -> trained.readByModel(t).intent()).getDouble("macroF1");
        assertThat(combined).isGreaterThan(modelOnly).isGreaterThanOrEqualTo(0.90);
    }

    @Test
    void theShippedModelIsTheOneTrainedOnTheSameSplit() {
        for (LabelledText t : split.test().subList(0, 200)) {
            assertThat(BUNDLED.read(t.text()).intent()).as(t.text()).isEqualTo(trained.read(t.text()).intent());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "I want to cancel my contract.|CHURN",
            "please close my account|CHURN",
            "I'm switching to another provider|CHURN",
            "Can I talk to a real person?|HUMAN",
            "I need a human|HUMAN",
            "I want to file a complaint about your service|COMPLAINT",
            "How do I set up automatic payments?|OTHER",
            "What's a good lasagna recipe?|OTHER",
            "hello? anyone?|OTHER",
            "C++ SDK|OTHER",
            "!!!|OTHER"})
    void readsTheIntentOfAMessage(String text, Intent expected) {
        assertThat(BUNDLED.read(text).intent()).isEqualTo(expected);
    }
}

package dev.keel.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FrustrationTest {
    private static final Path TWEETS = Path.of(System.getProperty("keel.shared.data", "../../shared/data"),
            "escalation/frustration.jsonl");

    @Test
    void angryMessagesScoreAboveCalmOnes() {
        assertThat(Frustration.of("This is the third time I ask, still not working!! Unacceptable"))
                .isGreaterThan(EscalationConfig.DEFAULT_FRUSTRATION);
        assertThat(Frustration.of("How do I pause my plan?")).isLessThan(0.3);
        assertThat(Frustration.of("Thanks, that was really helpful")).isLessThan(0.1);
        assertThat(Frustration.of("that was not helpful")).isGreaterThan(Frustration.of("that was helpful"));
    }

    @Test
    void earlierFrustrationCarriesIntoATerseFollowUp() {
        List<String> earlier = List.of("my internet has been down for three days, this is ridiculous and unacceptable");
        assertThat(Frustration.ofConversation(earlier, "hello?")).isGreaterThan(Frustration.of("hello?"));
        assertThat(Frustration.ofConversation(List.of(), "hello?")).isEqualTo(Frustration.of("hello?"));
    }

    @Test
    void separatesFrustratedTweetsFromTheOthers() {
        assumeTrue(Files.exists(TWEETS), "shared frustration data not found at " + TWEETS);
        List<Boolean> truth = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (LabelledText t : LabelledText.read(TWEETS, "frustrated")) {
            truth.add(Boolean.parseBoolean(t.label()));
            scores.add(Frustration.of(t.text()));
        }
        assertThat(ClassMetrics.rocAuc(truth, scores)).isGreaterThanOrEqualTo(0.85);
    }
}

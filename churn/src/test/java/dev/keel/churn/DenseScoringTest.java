package dev.keel.churn;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/**
 * Scoring straight from the cells (dense feature vector, flat trees, factors in short form) gives what the reference
 * path gives: {@link FeatureEncoder#encode} by feature name, then {@link FittedModel#explain(FeatureEncoder.Encoded)},
 * for both learners and for records with blank, zero and padded cells.
 */
class DenseScoringTest {
    private static CustomerTable table;
    private static List<ChurnModel> models;

    @BeforeAll
    static void train() throws Exception {
        table = CustomerTable.load(Path.of("src/test/resources/subscribers.csv"), "subscriber_ref", "cancelled", "true");
        models = List.of(ChurnModel.train(table, new TrainingOptions(3L, Learner.GBT, Map.of(), 3)),
                ChurnModel.train(table, new TrainingOptions(3L, Learner.LR, Map.of(), 3)));
    }

    private static List<Map<String, String>> records() {
        List<Map<String, String>> out = new ArrayList<>();
        for (String id : table.ids()) {
            out.add(table.record(id).orElseThrow());
        }
        Map<String, String> blanks = new LinkedHashMap<>(out.get(0));
        blanks.replaceAll((column, cell) -> "");
        out.add(blanks);
        Map<String, String> padded = new LinkedHashMap<>(out.get(1));
        padded.replaceAll((column, cell) -> " " + cell + " ");
        out.add(padded);
        Map<String, String> zeros = new LinkedHashMap<>(out.get(2));
        zeros.put("monthly_fee", "0");
        zeros.put("last_survey_score", "");
        out.add(zeros);
        return out;
    }

    @Test
    void contributionsAreThoseOfTheReferencePathForBothLearners() {
        for (ChurnModel model : models) {
            FittedModel fitted = model.fitted;
            for (Map<String, String> record : records()) {
                double[] reference = fitted.explain(fitted.encoder().encode(record, FeatureEncoder.Mode.STRICT));
                FittedModel.Contributions dense = fitted.explain(record, new String[model.columns().size()]);
                assertThat(dense.informative()).isEqualTo(
                        fitted.encoder().encode(record, FeatureEncoder.Mode.STRICT).informative());
                if (reference == null) {
                    assertThat(dense.byFeature()).isNull();
                    continue;
                }
                assertThat(dense.byFeature()).as(model.learner() + " " + record).hasSameSizeAs(reference);
                for (int j = 0; j < reference.length; j++) {
                    assertThat(dense.byFeature()[j]).as(model.learner() + " feature " + j + " of " + record)
                            .isCloseTo(reference[j], offset(1e-12));
                }
            }
        }
    }

    @Test
    void aCodedScoreDescribesToTheSameScoreAndFactors() {
        for (ChurnModel model : models) {
            for (Map<String, String> record : records()) {
                CodedScore coded = model.scoreCoded(record);
                ChurnScore score = model.score(record);
                assertThat(coded.probability()).isEqualTo(score.probability());
                assertThat(coded.band()).isEqualTo(score.band());
                assertThat(model.described(coded)).isEqualTo(score);
                Explanation explained = model.explain(record);
                for (Factor shown : score.factors()) {
                    assertThat(explained.factors()).contains(shown);
                }
                for (FactorCode code : coded.factors()) {
                    assertThat(code.cell()).matches("[0-9eE.+-]*");
                }
            }
        }
    }

    @Test
    void aCodeThatCannotComeFromTheSchemaIsRefused() {
        ChurnModel model = models.get(0);
        int planTier = model.columns().indexOf("plan_tier");
        assertThat(model.factor(new FactorCode(planTier, "0", 0.5)).description()).isNotBlank();
        assertThatThrownBy(() -> model.factor(new FactorCode(planTier, "99", 0.5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> model.factor(new FactorCode(model.columns().size(), "", 0.5)))
                .isInstanceOf(IllegalArgumentException.class);
        int fee = model.columns().indexOf("monthly_fee");
        assertThatThrownBy(() -> model.factor(new FactorCode(fee, "abc", 0.5)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.keel.churn;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The feature contract on a table of another shape (subscribers: other columns, types, label and positive value):
 * zero versus missing, blank and malformed cells, constant columns, type overrides and schema mismatches at
 * scoring time.
 */
class FeatureContractTest {
    private static CustomerTable table;
    private static ChurnModel model;

    @BeforeAll
    static void train() throws Exception {
        table = CustomerTable.load(Path.of("src/test/resources/subscribers.csv"), "subscriber_ref", "cancelled", "true");
        model = ChurnModel.train(table, 7L);
    }

    private static Map<String, String> row(String... cells) {
        Map<String, String> r = new LinkedHashMap<>();
        for (int i = 0; i < cells.length; i += 2) {
            r.put(cells[i], cells[i + 1]);
        }
        return r;
    }

    private static Map<String, String> allZero() {
        return row("plan_tier", "basic", "region", "north", "monthly_fee", "0", "logins_30d", "0", "tickets_30d", "0",
                "failed_payments_90d", "0", "always_zero", "0", "signup_channel", "web", "last_survey_score", "0");
    }

    @Test
    void learnsAnotherSchemaAndDropsTheConstantColumn() {
        assertThat((double) model.metrics().get("rocAuc")).isGreaterThan(0.7);
        assertThat(model.droppedColumns()).containsKey("always_zero");
        assertThat(model.columns()).contains("tickets_30d", "last_survey_score", "plan_tier");
    }

    @Test
    void aNumericCellIsAPlainDecimalNumberAndNothingElseThatJavaCouldParse() {
        for (String number : List.of("0", "-0", "+7", "42", "007", "3.", ".5", "-.5", "29.85", "1e3", "1E-3",
                "2.5e+10", "-1.e2", "1999.99")) {
            assertThat(FeatureEncoder.isPlainNumber(number)).as(number).isTrue();
        }
        for (String notANumber : List.of("", "+", "-", ".", "e5", ".e5", "1e", "1e+", "1.2.3", "1,5", "0x1A",
                "NaN", "Infinity", "-Infinity", "1d", "2f", " 1", "1 ", "1-", "++1", "\u0661", "12abc", "1_000")) {
            assertThat(FeatureEncoder.isPlainNumber(notANumber)).as(notANumber).isFalse();
        }
        assertThat(FeatureEncoder.parseNumber(" 12.5 ")).isEqualTo(12.5);
        assertThat(FeatureEncoder.parseNumber("1e400")).as("not finite").isNull();
    }

    @Test
    void anAllZeroRowGetsAFiniteProbability() {
        ChurnScore score = model.score(allZero());
        assertThat(score.probability()).isFinite().isBetween(0.0, 1.0);
        assertThat(score.band()).isNotEqualTo(RiskBand.UNKNOWN);
    }

    @Test
    void zeroIsAValueAndBlankIsMissing() {
        FeatureEncoder encoder = model.fitted.encoder();
        FeatureEncoder.Encoded zero = encoder.encode(allZero(), FeatureEncoder.Mode.STRICT);
        Map<String, String> blank = allZero();
        blank.put("last_survey_score", " ");
        FeatureEncoder.Encoded missing = encoder.encode(blank, FeatureEncoder.Mode.STRICT);
        assertThat(zero.features()).extracting(FeatureEncoder.EncodedFeature::name)
                .contains("last_survey_score").doesNotContain("last_survey_score#missing");
        assertThat(missing.features()).extracting(FeatureEncoder.EncodedFeature::name)
                .contains("last_survey_score#missing");
        assertThat(model.score(blank).probability()).isNotEqualTo(model.score(allZero()).probability());
    }

    @Test
    void aRecordThatDoesNotFitTheSchemaIsRefusedNamingTheColumn() {
        Map<String, String> malformed = allZero();
        malformed.put("tickets_30d", "three");
        assertThatThrownBy(() -> model.score(malformed)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("tickets_30d").hasMessageContaining("three");

        Map<String, String> unseen = allZero();
        unseen.put("plan_tier", "platinum");
        assertThatThrownBy(() -> model.score(unseen)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("plan_tier").hasMessageContaining("platinum");

        Map<String, String> lacking = allZero();
        lacking.remove("region");
        assertThatThrownBy(() -> model.score(lacking)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("region");

        Map<String, String> extra = allZero();
        extra.put("shoe_size", "44");
        assertThatThrownBy(() -> model.score(extra)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("shoe_size");
    }

    @Test
    void typeOverridesAndMalformedTrainingCellsAreExplicit(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("t.csv");
        StringBuilder text = new StringBuilder("id,code,amount,left\n");
        for (int i = 0; i < 60; i++) {
            String amount = i == 5 ? "n/a" : i == 6 ? "" : Integer.toString(i % 7);
            text.append("c").append(i).append(',').append(100 + i % 3).append(',').append(amount).append(',')
                    .append(i % 3 == 0 ? "Y" : "N").append('\n');
        }
        Files.writeString(csv, text);
        CustomerTable t = CustomerTable.load(csv, "id", "left", "Y");
        ChurnModel inferred = ChurnModel.train(t, new TrainingOptions(1L, Learner.LR, Map.of(), 3));
        assertThat(inferred.fitted.encoder().type("code")).isEqualTo(ColumnType.NUMERIC);
        assertThat(inferred.fitted.encoder().type("amount")).isEqualTo(ColumnType.CATEGORICAL);

        ChurnModel declared = ChurnModel.train(t, new TrainingOptions(1L, Learner.LR,
                Map.of("code", ColumnType.CATEGORICAL, "amount", ColumnType.NUMERIC), 3));
        assertThat(declared.fitted.encoder().type("code")).isEqualTo(ColumnType.CATEGORICAL);
        assertThat(declared.fitted.encoder().toJson().path("columns").path("amount").path("malformedInTraining").asInt())
                .isEqualTo(1);
        assertThat(declared.fitted.encoder().toJson().path("columns").path("amount").path("missingInTraining").asInt())
                .isEqualTo(1);
        assertThatThrownBy(() -> ChurnModel.train(t, new TrainingOptions(1L, Learner.LR,
                Map.of("nope", ColumnType.NUMERIC), 3))).hasMessageContaining("nope");
    }

    @Test
    void evaluationOnTheTrainingTableIsFlaggedInSample() {
        Map<String, Object> eval = Evaluation.evaluate(model, table);
        assertThat(eval).containsKeys("auc", "prAuc", "brier", "logLoss", "n", "reliability", "highBandPrecision");
        assertThat(eval.get("inSample")).isEqualTo(true);
        assertThat(eval.get("n")).isEqualTo(600);
        assertThat((List<?>) ChurnDrivers.of(model, table, "tickets_30d").get("segments")).isNotEmpty();
    }
}

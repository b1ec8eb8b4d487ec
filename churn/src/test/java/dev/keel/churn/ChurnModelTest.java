package dev.keel.churn;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Trains on the shared Telco table, as Keel does at its first start: both learners cross-validated, one chosen. */
class ChurnModelTest {
    private static CustomerTable table;
    private static ChurnModel model;

    @BeforeAll
    static void train() throws Exception {
        Path csv = Path.of(System.getProperty("keel.shared.data", "../../shared/data"), "telco-churn/telco_churn_shared.csv");
        table = CustomerTable.load(csv, "customerID", "Churn", "Yes");
        model = ChurnModel.train(table, 42L);
    }

    @Test
    void bothLearnersAreCrossValidatedAndTheBetterOneIsKept() {
        Map<String, Object> lr = figures("lr");
        Map<String, Object> gbt = figures("gbt");
        for (Map<String, Object> m : List.of(lr, gbt)) {
            System.out.printf("churn telco %s: rocAuc=%.4f %s prAuc=%.4f brier=%.4f logLoss=%.4f%n", m.get("trainer"),
                    (double) m.get("rocAuc"), m.get("rocAucByFold"), (double) m.get("prAuc"), (double) m.get("brier"),
                    (double) m.get("logLoss"));
            assertThat((double) m.get("rocAuc")).isBetween(0.82, 0.87);
            assertThat((double) m.get("brier")).isLessThan(0.15);
            assertThat((List<?>) m.get("reliability")).isNotEmpty();
            assertThat(((Map<?, ?>) m.get("rocAucByFold")).keySet()).extracting(Object::toString).contains("mean", "sd", "ci95", "folds");
        }
        String better = (double) gbt.get("rocAuc") > (double) lr.get("rocAuc") ? "gbt" : "lr";
        assertThat(model.learner().id()).isEqualTo(better);
        assertThat(model.metrics().get("rocAuc")).isEqualTo(figures(better).get("rocAuc"));
        assertThat(model.highThreshold()).isGreaterThanOrEqualTo(model.mediumThreshold());
    }

    @Test
    void calibratedProbabilitiesMatchObservedRatesInTheWellFilledBins() {
        for (Object row : (List<?>) model.metrics().get("reliability")) {
            Map<?, ?> bin = (Map<?, ?>) row;
            if (((Number) bin.get("n")).intValue() >= 200) {
                assertThat((double) bin.get("observedRate")).isCloseTo((double) bin.get("meanPredicted"),
                        org.assertj.core.data.Offset.offset(0.08));
            }
        }
    }

    @Test
    void aRowOfZerosAndBlanksGetsAFiniteProbability() {
        Map<String, String> row = new HashMap<>(table.record(table.ids().get(0)).orElseThrow());
        row.replaceAll((column, value) -> value.matches("[0-9. ]+") ? "0" : value);
        row.put("TotalCharges", " ");
        ChurnScore score = model.score(row);
        assertThat(score.probability()).isFinite().isBetween(0.0, 1.0);
        assertThat(score.band()).isNotEqualTo(RiskBand.UNKNOWN);
    }

    @Test
    void aNewMonthToMonthFiberCustomerIsHighRiskForReasonsAnAgentUnderstands() {
        String id = table.ids().stream().filter(i -> {
            Map<String, String> r = table.record(i).orElseThrow();
            return r.get("Contract").equals("Month-to-month") && r.get("tenure").equals("1")
                    && r.get("InternetService").equals("Fiber optic") && r.get("PaymentMethod").equals("Electronic check");
        }).findFirst().orElseThrow();
        ChurnScore score = model.score(table.record(id).orElseThrow());
        assertThat(score.band()).isEqualTo(RiskBand.HIGH);
        assertThat(score.factors()).extracting(Factor::description).contains("month-to-month contract");
        assertThat(score.factors().get(0).contribution()).isPositive();
    }

    @Test
    void theChurnReasonsBySegmentNameTheDriversOfEachContractType() {
        Map<String, Object> drivers = ChurnDrivers.of(model, table, "Contract");
        List<?> segments = (List<?>) drivers.get("segments");
        assertThat(segments).hasSize(3);
        Map<?, ?> first = (Map<?, ?>) segments.get(0);
        assertThat(first.get("segment")).isEqualTo("Month-to-month");
        assertThat((List<?>) first.get("drivers")).isNotEmpty();
    }

    @Test
    void aSavedModelLoadsAndScoresTheSame(@TempDir Path dir) throws Exception {
        model.save(dir);
        ChurnModel loaded = ChurnModel.load(dir);
        Map<String, String> record = table.record(table.ids().get(7)).orElseThrow();
        assertThat(loaded.version()).isEqualTo(model.version());
        assertThat(loaded.learner()).isEqualTo(model.learner());
        assertThat(loaded.score(record).probability()).isEqualTo(model.score(record).probability());
        assertThat(loaded.score(record).factors()).isEqualTo(model.score(record).factors());
        assertThat(loaded.comparison()).containsKeys("lr", "gbt");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> figures(String learner) {
        return (Map<String, Object>) model.comparison().get(learner);
    }
}

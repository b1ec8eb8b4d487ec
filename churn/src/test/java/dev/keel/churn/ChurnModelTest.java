package dev.keel.churn;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Trains on the shared Telco table, as Keel does at its first start. */
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
    void crossValidatedMetricsAreReportedAndUseful() {
        double rocAuc = (double) model.metrics().get("rocAuc");
        double brier = (double) model.metrics().get("brier");
        System.out.printf("churn telco: rows=%d rocAuc=%.4f prAuc=%.4f brier=%.4f high>=%.3f medium>=%.3f%n", table.size(),
                rocAuc, (double) model.metrics().get("prAuc"), brier, model.highThreshold(), model.mediumThreshold());
        assertThat(rocAuc).isGreaterThan(0.80);
        assertThat(brier).isLessThan(0.16);
        assertThat(model.highThreshold()).isGreaterThanOrEqualTo(model.mediumThreshold());
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
    void aSavedModelLoadsAndScoresTheSame(@TempDir Path dir) throws Exception {
        model.save(dir);
        ChurnModel loaded = ChurnModel.load(dir);
        Map<String, String> record = table.record(table.ids().get(7)).orElseThrow();
        assertThat(loaded.version()).isEqualTo(model.version());
        assertThat(loaded.score(record).probability()).isEqualTo(model.score(record).probability());
        assertThat(loaded.score(record).factors()).isNotEmpty();
    }
}

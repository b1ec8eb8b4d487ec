package dev.keel.churn;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics of a trained model on a labelled customer table. On the table the model was trained on the figures are
 * in-sample (optimistic) and flagged so; the honest figures of the training table are the cross-validated ones in
 * the model file.
 */
public final class Evaluation {
    private Evaluation() {
    }

    /**
     * Scores every row and compares with the labels.
     *
     * @return {@code auc}, {@code prAuc}, {@code brier}, {@code logLoss}, {@code n}, {@code positives},
     *         {@code inSample}, precision and recall of the high band, customers per band, the reliability table
     * @throws SchemaMismatchException naming the customer and the column of the first row that does not fit
     */
    public static Map<String, Object> evaluate(ChurnModel model, CustomerTable table) {
        int n = table.size();
        List<Map<String, String>> rows = new ArrayList<>(n);
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            String id = table.ids().get(i);
            Map<String, String> row = table.record(id).orElseThrow();
            try {
                model.check(row);
            } catch (SchemaMismatchException e) {
                throw new SchemaMismatchException(e.column(), "customer " + id + ": " + e.getMessage());
            }
            rows.add(row);
            labels[i] = table.label(id).orElseThrow();
        }
        List<ChurnScore> scores = model.scoreAll(rows);
        double[] p = new double[n];
        Map<RiskBand, Integer> bands = new EnumMap<>(RiskBand.class);
        for (int i = 0; i < n; i++) {
            p[i] = scores.get(i).probability();
            bands.merge(scores.get(i).band(), 1, Integer::sum);
        }
        double[] highPr = Metrics.precisionRecallAt(p, labels, model.highThreshold());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("modelVersion", model.version());
        out.put("trainer", model.learner().id());
        out.put("n", n);
        out.put("positives", table.positiveCount());
        out.put("inSample", table.fingerprint().equals(model.dataFingerprint()));
        out.put("auc", Metrics.rocAuc(p, labels));
        out.put("prAuc", Metrics.prAuc(p, labels));
        out.put("brier", Metrics.brier(p, labels));
        out.put("logLoss", Metrics.logLoss(p, labels));
        out.put("highThreshold", model.highThreshold());
        out.put("mediumThreshold", model.mediumThreshold());
        out.put("highBandPrecision", highPr[0]);
        out.put("highBandRecall", highPr[1]);
        Map<String, Integer> perBand = new LinkedHashMap<>();
        bands.forEach((band, count) -> perBand.put(band.name(), count));
        out.put("bands", perBand);
        out.put("reliability", Metrics.reliability(p, labels, CrossValidation.RELIABILITY_BINS));
        return out;
    }
}

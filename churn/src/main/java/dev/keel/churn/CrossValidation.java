package dev.keel.churn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Stratified k-fold cross-validation of one learner. Each fold refits the encoder on its training rows only, so
 * standardisation and category lists never see the held-out customers. Calibration is cross-fitted too: the
 * held-out scores of fold f are calibrated with a Platt scaler fitted on the out-of-fold scores of the other folds,
 * so the reported Brier score and reliability table are those of unseen customers.
 *
 * @param raw        uncalibrated out-of-fold probabilities
 * @param calibrated cross-fitted calibrated out-of-fold probabilities
 * @param fold       fold of each row
 * @param k          number of folds
 */
record CrossValidation(Learner learner, double[] raw, double[] calibrated, int[] fold, int k) {
    static final int RELIABILITY_BINS = 10;

    static CrossValidation run(Learner learner, List<String> columns, List<Map<String, String>> rows,
                               boolean[] labels, Map<String, ColumnType> types, int[] fold, int k, long seed) {
        int n = rows.size();
        double[] raw = new double[n];
        for (int f = 0; f < k; f++) {
            List<Map<String, String>> trainRows = new ArrayList<>();
            List<Boolean> trainLabels = new ArrayList<>();
            List<Integer> heldOut = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    trainRows.add(rows.get(i));
                    trainLabels.add(labels[i]);
                } else {
                    heldOut.add(i);
                }
            }
            FeatureEncoder encoder = FeatureEncoder.fit(columns, trainRows, types);
            FittedModel model = FittedModel.fit(learner, encoder, trainRows, toArray(trainLabels), seed);
            model.requireFinite();
            List<FeatureEncoder.Encoded> encoded = new ArrayList<>();
            for (int i : heldOut) {
                encoded.add(encoder.encode(rows.get(i), FeatureEncoder.Mode.LENIENT));
            }
            double[] p = model.rawProbabilities(encoded);
            for (int j = 0; j < p.length; j++) {
                if (!Double.isFinite(p[j])) {
                    throw new IllegalStateException(learner.id() + " cross-validation produced a non-finite "
                            + "prediction for row " + (heldOut.get(j) + 1));
                }
                raw[heldOut.get(j)] = p[j];
            }
        }
        double[] calibrated = new double[n];
        for (int f = 0; f < k; f++) {
            List<Double> otherScores = new ArrayList<>();
            List<Boolean> otherLabels = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    otherScores.add(raw[i]);
                    otherLabels.add(labels[i]);
                }
            }
            PlattCalibrator platt = PlattCalibrator.fit(otherScores.stream().mapToDouble(Double::doubleValue).toArray(),
                    toArray(otherLabels));
            for (int i = 0; i < n; i++) {
                if (fold[i] == f) {
                    calibrated[i] = platt.apply(raw[i]);
                }
            }
        }
        return new CrossValidation(learner, raw, calibrated, fold, k);
    }

    /** Assigns each row to one of k folds so that every fold gets a near-equal share of each class. */
    static int[] stratifiedFolds(boolean[] labels, int k, long seed) {
        Random rnd = new Random(seed);
        int[] fold = new int[labels.length];
        for (boolean cls : new boolean[] {true, false}) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == cls) {
                    idx.add(i);
                }
            }
            Collections.shuffle(idx, rnd);
            for (int j = 0; j < idx.size(); j++) {
                fold[idx.get(j)] = j % k;
            }
        }
        return fold;
    }

    /**
     * Pooled out-of-fold metrics of the calibrated probabilities, per-fold spread with a 95 % interval, the raw
     * (uncalibrated) Brier score for comparison, and the reliability table.
     */
    Map<String, Object> metrics(boolean[] labels) {
        double[] rocFolds = new double[k];
        double[] prFolds = new double[k];
        double[] brierFolds = new double[k];
        for (int f = 0; f < k; f++) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < fold.length; i++) {
                if (fold[i] == f) {
                    idx.add(i);
                }
            }
            double[] s = new double[idx.size()];
            boolean[] y = new boolean[idx.size()];
            for (int j = 0; j < s.length; j++) {
                s[j] = calibrated[idx.get(j)];
                y[j] = labels[idx.get(j)];
            }
            rocFolds[f] = Metrics.rocAuc(s, y);
            prFolds[f] = Metrics.prAuc(s, y);
            brierFolds[f] = Metrics.brier(s, y);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trainer", learner.id());
        m.put("rocAuc", Metrics.rocAuc(calibrated, labels));
        m.put("prAuc", Metrics.prAuc(calibrated, labels));
        m.put("brier", Metrics.brier(calibrated, labels));
        m.put("logLoss", Metrics.logLoss(calibrated, labels));
        m.put("brierUncalibrated", Metrics.brier(raw, labels));
        m.put("rocAucByFold", Metrics.spread(rocFolds));
        m.put("prAucByFold", Metrics.spread(prFolds));
        m.put("brierByFold", Metrics.spread(brierFolds));
        m.put("reliability", Metrics.reliability(calibrated, labels, RELIABILITY_BINS));
        return m;
    }

    private static boolean[] toArray(List<Boolean> values) {
        boolean[] out = new boolean[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}

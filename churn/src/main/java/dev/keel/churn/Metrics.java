package dev.keel.churn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Small evaluation helpers for binary scores (label {@code true} = churned). */
final class Metrics {

    private Metrics() {
    }

    /** ROC AUC via the rank-sum (Mann-Whitney) statistic; tied scores get their average rank. */
    static double rocAuc(double[] scores, boolean[] labels) {
        int n = scores.length;
        Integer[] order = sortedAscending(scores);
        double[] ranks = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1.0;
            for (int k = i; k <= j; k++) {
                ranks[order[k]] = avg;
            }
            i = j + 1;
        }
        long pos = 0;
        double rankSum = 0;
        for (int k = 0; k < n; k++) {
            if (labels[k]) {
                pos++;
                rankSum += ranks[k];
            }
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) {
            return Double.NaN;
        }
        return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /**
     * Area under the precision-recall curve as average precision: the mean of the precision at each distinct
     * score cut, weighted by the recall gained there (tied scores are taken together).
     */
    static double prAuc(double[] scores, boolean[] labels) {
        Integer[] order = sortedAscending(scores);
        int n = scores.length;
        long totalPos = 0;
        for (boolean b : labels) {
            if (b) {
                totalPos++;
            }
        }
        if (totalPos == 0) {
            return Double.NaN;
        }
        double ap = 0;
        long tp = 0;
        long seen = 0;
        int i = n - 1;
        while (i >= 0) {
            int j = i;
            long tpHere = 0;
            while (j >= 0 && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    tpHere++;
                }
                j--;
            }
            seen += i - j;
            tp += tpHere;
            ap += ((double) tp / seen) * ((double) tpHere / totalPos);
            i = j;
        }
        return ap;
    }

    /** Mean squared difference between the probability and the 0/1 outcome. */
    static double brier(double[] scores, boolean[] labels) {
        double s = 0;
        for (int i = 0; i < scores.length; i++) {
            double d = scores[i] - (labels[i] ? 1.0 : 0.0);
            s += d * d;
        }
        return s / scores.length;
    }

    /**
     * The smallest score cut t such that precision among scores &ge; t is at least {@code minPrecision};
     * {@code NaN} when no cut reaches it.
     */
    static double smallestCutWithPrecision(double[] scores, boolean[] labels, double minPrecision) {
        Integer[] order = sortedAscending(scores);
        int n = scores.length;
        long tp = 0;
        long seen = 0;
        double best = Double.NaN;
        int i = n - 1;
        while (i >= 0) {
            int j = i;
            while (j >= 0 && scores[order[j]] == scores[order[i]]) {
                if (labels[order[j]]) {
                    tp++;
                }
                seen++;
                j--;
            }
            if ((double) tp / seen >= minPrecision) {
                best = scores[order[i]];
            }
            i = j;
        }
        return best;
    }

    /** Precision and recall of the rule "score &ge; cut". */
    static double[] precisionRecallAt(double[] scores, boolean[] labels, double cut) {
        long tp = 0;
        long predicted = 0;
        long pos = 0;
        for (int i = 0; i < scores.length; i++) {
            if (labels[i]) {
                pos++;
            }
            if (scores[i] >= cut) {
                predicted++;
                if (labels[i]) {
                    tp++;
                }
            }
        }
        return new double[] {predicted == 0 ? Double.NaN : (double) tp / predicted,
                pos == 0 ? Double.NaN : (double) tp / pos};
    }

    /** Mean negative log-likelihood of the outcomes, with probabilities kept within [1e-15, 1 - 1e-15]. */
    static double logLoss(double[] scores, boolean[] labels) {
        double s = 0;
        for (int i = 0; i < scores.length; i++) {
            double p = Math.min(1 - 1e-15, Math.max(1e-15, scores[i]));
            s -= labels[i] ? Math.log(p) : Math.log(1 - p);
        }
        return s / scores.length;
    }

    /**
     * Reliability table: the probabilities cut into {@code bins} equal-width bins; per non-empty bin the number
     * of customers, the mean predicted probability and the observed churn rate. A calibrated model has the two
     * close in every well-filled bin.
     */
    static List<Map<String, Object>> reliability(double[] scores, boolean[] labels, int bins) {
        long[] count = new long[bins];
        double[] predicted = new double[bins];
        long[] churned = new long[bins];
        for (int i = 0; i < scores.length; i++) {
            int b = Math.min(bins - 1, (int) (scores[i] * bins));
            count[b]++;
            predicted[b] += scores[i];
            if (labels[i]) {
                churned[b]++;
            }
        }
        List<Map<String, Object>> table = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            if (count[b] == 0) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("from", (double) b / bins);
            row.put("to", (double) (b + 1) / bins);
            row.put("n", count[b]);
            row.put("meanPredicted", predicted[b] / count[b]);
            row.put("observedRate", (double) churned[b] / count[b]);
            table.add(row);
        }
        return table;
    }

    /**
     * Mean, sample standard deviation and a 95 % interval (mean &plusmn; t * sd / sqrt(k), Student t for k - 1
     * degrees of freedom) of per-fold figures.
     */
    static Map<String, Object> spread(double[] perFold) {
        int k = perFold.length;
        double mean = Arrays.stream(perFold).average().orElse(Double.NaN);
        double ss = 0;
        for (double v : perFold) {
            ss += (v - mean) * (v - mean);
        }
        double sd = k > 1 ? Math.sqrt(ss / (k - 1)) : 0.0;
        double half = studentT95(k - 1) * sd / Math.sqrt(k);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mean", mean);
        out.put("sd", sd);
        out.put("ci95", List.of(mean - half, mean + half));
        out.put("folds", Arrays.stream(perFold).boxed().toList());
        return out;
    }

    /** Two-sided 95 % quantile of Student's t for small degrees of freedom (1.96 beyond 30). */
    private static double studentT95(int df) {
        double[] table = {Double.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
        if (df < 1) {
            return 0.0;
        }
        return df < table.length ? table[df] : df <= 30 ? 2.042 : 1.96;
    }

    private static Integer[] sortedAscending(double[] scores) {
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(k -> scores[k]));
        return order;
    }
}

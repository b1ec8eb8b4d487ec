package dev.keel.churn;

import java.util.Arrays;
import java.util.Comparator;
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

    private static Integer[] sortedAscending(double[] scores) {
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(k -> scores[k]));
        return order;
    }
}

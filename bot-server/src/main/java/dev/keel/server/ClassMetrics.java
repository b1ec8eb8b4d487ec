package dev.keel.server;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Precision, recall and F1 per class, and their macro average, from pairs of true and predicted labels. */
final class ClassMetrics {
    private ClassMetrics() {
    }

    /** One JSON object: {@code {"classes": {label: {precision, recall, f1, support}}, "macroF1", "accuracy", "n"}}. */
    static JsonObject report(List<String> truth, List<String> predicted) {
        Set<String> labels = new TreeSet<>(truth);
        JsonObject classes = new JsonObject();
        double f1Sum = 0;
        int correct = 0;
        for (int i = 0; i < truth.size(); i++) {
            if (truth.get(i).equals(predicted.get(i))) {
                correct++;
            }
        }
        for (String label : labels) {
            JsonObject one = forClass(truth, predicted, label);
            f1Sum += one.getDouble("f1");
            classes.put(label, one);
        }
        return new JsonObject().put("classes", classes).put("macroF1", round(f1Sum / labels.size()))
                .put("accuracy", round((double) correct / truth.size())).put("n", truth.size());
    }

    /** Precision, recall, F1 and support of one class against all others. */
    static JsonObject forClass(List<String> truth, List<String> predicted, String label) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int i = 0; i < truth.size(); i++) {
            boolean isTrue = truth.get(i).equals(label);
            boolean isPredicted = predicted.get(i).equals(label);
            if (isTrue && isPredicted) {
                tp++;
            } else if (isPredicted) {
                fp++;
            } else if (isTrue) {
                fn++;
            }
        }
        double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
        double recall = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new JsonObject().put("precision", round(precision)).put("recall", round(recall)).put("f1", round(f1))
                .put("support", tp + fn);
    }

    /** Area under the ROC curve: the chance that a random positive scores above a random negative (ties count half). */
    static double rocAuc(List<Boolean> positive, List<Double> score) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < score.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble(score::get));
        double rankSumPositive = 0;
        long positives = 0;
        int i = 0;
        while (i < order.size()) {
            int j = i;
            while (j + 1 < order.size() && score.get(order.get(j + 1)).equals(score.get(order.get(i)))) {
                j++;
            }
            double averageRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (positive.get(order.get(k))) {
                    rankSumPositive += averageRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = positive.size() - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return round((rankSumPositive - positives * (positives + 1) / 2.0) / (positives * negatives));
    }

    static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }
}

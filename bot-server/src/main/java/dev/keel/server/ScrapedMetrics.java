package dev.keel.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One scrape of a Prometheus text page, enough to read Keel's own figures back: sums of samples
 * and latency quantiles from histogram buckets. Used by the {@code load} command.
 */
final class ScrapedMetrics {
    /** One sample line: name, the raw label text between braces, value. */
    record Sample(String name, String labels, double value) {
        boolean has(String label, String value) {
            return labels.contains(label + "=\"" + value + "\"");
        }
    }

    private final List<Sample> samples;

    private ScrapedMetrics(List<Sample> samples) {
        this.samples = samples;
    }

    static ScrapedMetrics parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
            String labels = brace >= 0 && brace < space ? line.substring(brace + 1, line.lastIndexOf('}')) : "";
            try {
                samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
            } catch (NumberFormatException ignored) {
                // not a sample line
            }
        }
        return new ScrapedMetrics(samples);
    }

    double sum(String name, Predicate<Sample> which) {
        return samples.stream().filter(s -> s.name().equals(name) && which.test(s)).mapToDouble(Sample::value).sum();
    }

    /** Cumulative bucket counts of a histogram by upper bound, summed over the matching series. */
    Map<Double, Double> buckets(String histogram, Predicate<Sample> which) {
        Map<Double, Double> out = new TreeMap<>();
        for (Sample s : samples) {
            if (s.name().equals(histogram + "_bucket") && which.test(s)) {
                int at = s.labels().indexOf("le=\"");
                String le = s.labels().substring(at + 4, s.labels().indexOf('"', at + 4));
                out.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), s.value(), Double::sum);
            }
        }
        return out;
    }

    /**
     * The upper bound of the bucket holding quantile {@code q} of what was recorded between two
     * scrapes: a bound, not an estimate, so a figure below a goal is below it for sure.
     */
    static double quantileBound(Map<Double, Double> before, Map<Double, Double> after, double q) {
        double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) {
            return Double.NaN;
        }
        for (Map.Entry<Double, Double> bucket : after.entrySet()) {
            double count = bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0);
            if (count >= q * total) {
                return bucket.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}

package dev.keel.churn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What drives churn across a customer table, overall and by segment: the "churn reasons by segment" a support team
 * asks for. Every customer is explained with the model; a column's weight in a group of customers is the mean of how
 * much it raises their churn log-odds (zero for a customer where it lowers it: contributions are relative to the
 * average customer, so their plain mean over a whole table is about zero), and its typical reason is the
 * description that most often raises their risk.
 *
 * <p>Segments are the values of one column; a numeric column is cut into quartiles of the table.
 */
public final class ChurnDrivers {
    static final int TOP = 3;

    private ChurnDrivers() {
    }

    /**
     * @param segmentBy column to segment by, or null for the whole table only
     * @return {@code overall} (drivers of the whole table) and, with a segment column, {@code segments}: per segment
     *         its size, observed churn rate (when the table is labelled), mean predicted probability and top drivers,
     *         segments with the highest predicted churn first
     * @throws IllegalArgumentException if {@code segmentBy} is not a column of the table
     */
    public static Map<String, Object> of(ChurnModel model, CustomerTable table, String segmentBy) {
        if (segmentBy != null && !table.columns().contains(segmentBy)) {
            throw new IllegalArgumentException("segment column '" + segmentBy + "' is not a feature column of the table "
                    + table.columns());
        }
        List<Map<String, String>> rows = new ArrayList<>();
        table.ids().forEach(id -> rows.add(table.record(id).orElseThrow()));
        List<Explanation> explained = model.explainAll(rows);
        Map<String, List<Integer>> segments = new TreeMap<>();
        if (segmentBy != null) {
            Map<Integer, String> names = segmentNames(table, rows, segmentBy,
                    model.fitted.encoder().type(segmentBy) == ColumnType.NUMERIC);
            names.forEach((i, name) -> segments.computeIfAbsent(name, k -> new ArrayList<>()).add(i));
        }
        List<Integer> everyone = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            everyone.add(i);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("modelVersion", model.version());
        out.put("overall", group(table, explained, everyone, null));
        if (segmentBy != null) {
            out.put("segmentBy", segmentBy);
            List<Map<String, Object>> list = new ArrayList<>();
            segments.forEach((name, members) -> {
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("segment", name);
                g.putAll(group(table, explained, members, segmentBy));
                list.add(g);
            });
            list.sort(Comparator.comparingDouble(g -> -((Double) g.get("meanPredicted"))));
            out.put("segments", list);
        }
        return out;
    }

    private static Map<String, Object> group(CustomerTable table, List<Explanation> explained, List<Integer> members,
                                             String excludeColumn) {
        Map<String, double[]> sums = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> reasons = new HashMap<>();
        double predicted = 0;
        int churned = 0;
        for (int i : members) {
            Explanation e = explained.get(i);
            predicted += e.score().probability();
            churned += table.label(table.ids().get(i)).orElse(false) ? 1 : 0;
            for (Factor f : e.factors()) {
                if (f.feature().equals(excludeColumn)) {
                    continue;
                }
                double[] s = sums.computeIfAbsent(f.feature(), k -> new double[2]);
                s[0] += Math.max(0.0, f.contribution());
                if (f.contribution() > 0) {
                    s[1]++;
                    reasons.computeIfAbsent(f.feature(), k -> new HashMap<>()).merge(f.description(), 1, Integer::sum);
                }
            }
        }
        int n = members.size();
        List<Map<String, Object>> drivers = new ArrayList<>();
        sums.entrySet().stream()
                .sorted(Comparator.comparingDouble(en -> -en.getValue()[0]))
                .filter(en -> en.getValue()[0] > 0)
                .limit(TOP)
                .forEach(en -> {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("column", en.getKey());
                    d.put("meanRaise", en.getValue()[0] / n);
                    d.put("raisesRiskFor", en.getValue()[1] / n);
                    d.put("typicalReason", reasons.getOrDefault(en.getKey(), Map.of()).entrySet().stream()
                            .max(Map.Entry.<String, Integer>comparingByValue()
                                    .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
                            .map(Map.Entry::getKey).orElse(""));
                    drivers.add(d);
                });
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("customers", n);
        if (table.positiveValue() != null) {
            g.put("observedChurnRate", n == 0 ? 0.0 : (double) churned / n);
        }
        g.put("meanPredicted", n == 0 ? 0.0 : predicted / n);
        g.put("drivers", drivers);
        return g;
    }

    /** Segment name of every row: the trimmed value, "(blank)", or for a numeric column its quartile range. */
    private static Map<Integer, String> segmentNames(CustomerTable table, List<Map<String, String>> rows, String column,
                                                     boolean numeric) {
        Map<Integer, String> names = new LinkedHashMap<>();
        double[] cuts = numeric ? quartiles(rows, column) : null;
        for (int i = 0; i < rows.size(); i++) {
            String cell = rows.get(i).get(column);
            Double x = FeatureEncoder.parseNumber(cell);
            if (FeatureEncoder.isBlank(cell)) {
                names.put(i, "(blank)");
            } else if (numeric && x != null) {
                int q = 0;
                while (q < 3 && x > cuts[q]) {
                    q++;
                }
                String from = q == 0 ? "min" : plain(cuts[q - 1]);
                String to = q == 3 ? "max" : plain(cuts[q]);
                names.put(i, "Q" + (q + 1) + " " + column + " (" + from + ", " + to + "]");
            } else {
                names.put(i, cell.trim());
            }
        }
        return names;
    }

    private static double[] quartiles(List<Map<String, String>> rows, String column) {
        double[] values = rows.stream().map(r -> FeatureEncoder.parseNumber(r.get(column)))
                .filter(v -> v != null).mapToDouble(Double::doubleValue).sorted().toArray();
        double[] cuts = new double[3];
        for (int q = 0; q < 3; q++) {
            cuts[q] = values.length == 0 ? 0 : values[Math.min(values.length - 1, (values.length * (q + 1)) / 4)];
        }
        return Arrays.copyOf(cuts, 3);
    }

    private static String plain(double x) {
        return java.math.BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
}

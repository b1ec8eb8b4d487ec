package dev.keel.churn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns raw customer cells into model features. Fitted on training rows only.
 *
 * <p>Encoding rules:
 * <ul>
 *   <li>A column is <b>numeric</b> when every non-blank training cell is a plain decimal number (optionally signed,
 *   with an exponent); otherwise it is <b>categorical</b>. The caller may override the type of any column. In a
 *   column declared numeric, a training cell that is not a number is treated as missing and counted in the schema
 *   ({@code malformedInTraining}).</li>
 *   <li>Numeric columns become one feature named after the column, standardised with the training mean and
 *   (population) standard deviation and clipped to &plusmn;{@value #CLIP} so that no input can overflow the model.
 *   A blank numeric cell is <em>missing</em>: the value feature is 0 (the mean) and a separate indicator feature
 *   {@code Column#missing} = 1 is added. A zero is a value like any other, never missing.</li>
 *   <li>Categorical columns are one-hot encoded as {@code Column=value} (trimmed value, = 1), without
 *   standardisation. A blank categorical cell becomes {@code Column#missing} = 1.</li>
 *   <li>A column with a single value in every training row (e.g. always 0), an entirely blank column, and a
 *   categorical column whose values are unique per row (identifier-like) are dropped and listed in the schema with
 *   the reason.</li>
 * </ul>
 *
 * <p>Records are encoded in one of two modes. {@link Mode#STRICT} (scoring live customers) rejects, with a
 * {@link SchemaMismatchException} naming the column, a record that lacks a schema column, has a column the schema
 * does not know (dropped columns are known and ignored), a non-number in a numeric column, or a category never seen
 * in training. {@link Mode#LENIENT} (held-out rows in cross-validation, whose fold encoder may not have seen every
 * rare category) ignores an unseen category and treats an absent cell or a non-number as missing.
 */
final class FeatureEncoder {

    static final String MISSING_SUFFIX = "#missing";
    static final double CLIP = 10.0;
    private static final int MIN_ROWS_FOR_ID_LIKE = 20;

    /** How strictly {@link #encode} checks a record against the schema; see the class comment. */
    enum Mode { STRICT, LENIENT }

    /** How a feature was produced; used to describe it. */
    enum Kind { NUMERIC, CATEGORY, MISSING }

    sealed interface ColumnSpec permits Numeric, Categorical {
        String name();
    }

    record Numeric(String name, double mean, double std, int missingInTraining, int malformedInTraining)
            implements ColumnSpec {}

    record Categorical(String name, List<String> categories, int missingInTraining) implements ColumnSpec {
        Categorical {
            categories = List.copyOf(categories);
        }
    }

    /** One encoded feature of one record. */
    record EncodedFeature(String name, double value, String column, String rawCell, Kind kind) {}

    /** All features of one record, plus whether any column carried a usable value. */
    record Encoded(List<EncodedFeature> features, boolean informative) {
        String[] names() {
            return features.stream().map(EncodedFeature::name).toArray(String[]::new);
        }

        double[] values() {
            return features.stream().mapToDouble(EncodedFeature::value).toArray();
        }
    }

    private final List<ColumnSpec> columns;
    private final Map<String, Integer> columnIndex;
    private final Map<String, String> dropped;

    private FeatureEncoder(List<ColumnSpec> columns, Map<String, String> dropped) {
        this.columns = List.copyOf(columns);
        this.columnIndex = new java.util.HashMap<>();
        for (int c = 0; c < this.columns.size(); c++) {
            columnIndex.put(this.columns.get(c).name(), c);
        }
        this.dropped = Collections.unmodifiableMap(new LinkedHashMap<>(dropped));
    }

    /**
     * The type of each column: {@code overrides} first, otherwise numeric when every non-blank cell of {@code rows}
     * parses as a number.
     *
     * @throws IllegalArgumentException if an override names a column that is not a feature column
     */
    static Map<String, ColumnType> inferTypes(List<String> columnNames, List<Map<String, String>> rows,
                                              Map<String, ColumnType> overrides) {
        for (String column : overrides.keySet()) {
            if (!columnNames.contains(column)) {
                throw new IllegalArgumentException("--type names column '" + column
                        + "', which is not a feature column of the table " + columnNames);
            }
        }
        Map<String, ColumnType> types = new LinkedHashMap<>();
        for (String column : columnNames) {
            ColumnType type = overrides.get(column);
            if (type == null) {
                type = ColumnType.NUMERIC;
                for (Map<String, String> row : rows) {
                    String cell = row.get(column);
                    if (!isBlank(cell) && parseNumber(cell) == null) {
                        type = ColumnType.CATEGORICAL;
                        break;
                    }
                }
            }
            types.put(column, type);
        }
        return types;
    }

    /** Fits the encoder on {@code rows} with the given column types (see {@link #inferTypes}). */
    static FeatureEncoder fit(List<String> columnNames, List<Map<String, String>> rows,
                              Map<String, ColumnType> types) {
        List<ColumnSpec> specs = new ArrayList<>();
        Map<String, String> dropped = new LinkedHashMap<>();
        int n = rows.size();
        for (String column : columnNames) {
            int blanks = 0;
            int malformed = 0;
            boolean numeric = types.get(column) == ColumnType.NUMERIC;
            TreeSet<String> distinct = new TreeSet<>();
            for (Map<String, String> row : rows) {
                String cell = row.get(column);
                if (isBlank(cell)) {
                    blanks++;
                    continue;
                }
                if (numeric && parseNumber(cell) == null) {
                    malformed++;
                    continue;
                }
                distinct.add(cell.trim());
            }
            if (distinct.isEmpty()) {
                dropped.put(column, "blank in every row");
                continue;
            }
            blanks += malformed;
            if (distinct.size() == 1 && blanks == 0) {
                dropped.put(column, "constant: '" + distinct.first() + "' in every row");
                continue;
            }
            if (numeric) {
                double sum = 0;
                int count = 0;
                for (Map<String, String> row : rows) {
                    Double x = parseNumber(row.get(column));
                    if (x != null) {
                        sum += x;
                        count++;
                    }
                }
                double mean = sum / count;
                double ss = 0;
                for (Map<String, String> row : rows) {
                    Double x = parseNumber(row.get(column));
                    if (x != null) {
                        ss += (x - mean) * (x - mean);
                    }
                }
                double std = Math.sqrt(ss / count);
                if (!Double.isFinite(mean) || !Double.isFinite(std)) {
                    dropped.put(column, "numbers too large to standardise");
                    continue;
                }
                if (std == 0.0 && blanks == 0) {
                    dropped.put(column, "constant: " + mean + " in every row");
                    continue;
                }
                if (std == 0.0) {
                    // one value plus blanks: the value feature is always 0, the missing indicator carries the signal
                    std = 1.0;
                }
                specs.add(new Numeric(column, mean, std, blanks - malformed, malformed));
            } else {
                if (n >= MIN_ROWS_FOR_ID_LIKE && blanks == 0 && distinct.size() == n) {
                    dropped.put(column, "identifier-like: a different value in every row");
                    continue;
                }
                specs.add(new Categorical(column, new ArrayList<>(distinct), blanks));
            }
        }
        return new FeatureEncoder(specs, dropped);
    }

    /**
     * Encodes one record.
     *
     * @throws SchemaMismatchException in {@link Mode#STRICT} when the record does not fit the schema
     */
    Encoded encode(Map<String, String> record, Mode mode) {
        if (mode == Mode.STRICT) {
            requireKnownColumns(record);
        }
        List<EncodedFeature> out = new ArrayList<>();
        boolean informative = false;
        for (ColumnSpec spec : columns) {
            String cell = record.get(spec.name());
            if (cell == null && mode == Mode.STRICT) {
                throw absentColumn(spec);
            }
            if (spec instanceof Numeric num) {
                Double x = parseNumber(cell);
                if (x == null && !isBlank(cell) && mode == Mode.STRICT) {
                    throw notANumber(num, cell);
                }
                if (x == null) {
                    out.add(new EncodedFeature(num.name(), 0.0, num.name(), cell, Kind.NUMERIC));
                    out.add(new EncodedFeature(num.name() + MISSING_SUFFIX, 1.0, num.name(), cell, Kind.MISSING));
                    continue;
                }
                double z = (x - num.mean()) / num.std();
                z = Math.max(-CLIP, Math.min(CLIP, z));
                out.add(new EncodedFeature(num.name(), z, num.name(), cell, Kind.NUMERIC));
                informative = true;
            } else {
                Categorical cat = (Categorical) spec;
                if (isBlank(cell)) {
                    out.add(new EncodedFeature(cat.name() + MISSING_SUFFIX, 1.0, cat.name(), cell, Kind.MISSING));
                    continue;
                }
                String v = cell.trim();
                if (Collections.binarySearch(cat.categories(), v) >= 0) {
                    out.add(new EncodedFeature(cat.name() + "=" + v, 1.0, cat.name(), cell, Kind.CATEGORY));
                    informative = true;
                } else if (mode == Mode.STRICT) {
                    throw unseenCategory(cat, v);
                }
            }
        }
        return new Encoded(out, informative);
    }

    private void requireKnownColumns(Map<String, String> record) {
        for (String column : record.keySet()) {
            if (!dropped.containsKey(column) && !columnIndex.containsKey(column)) {
                throw new SchemaMismatchException(column, "Column '" + column + "' is not in the model's schema "
                        + columns.stream().map(ColumnSpec::name).toList());
            }
        }
    }

    private static SchemaMismatchException absentColumn(ColumnSpec spec) {
        return new SchemaMismatchException(spec.name(), "Column '" + spec.name()
                + "' is missing from the record (send it blank when it is not known)");
    }

    private static SchemaMismatchException notANumber(Numeric num, String cell) {
        return new SchemaMismatchException(num.name(), "Column '" + num.name() + "' must be a number or blank, got '"
                + cell + "'");
    }

    private static SchemaMismatchException unseenCategory(Categorical cat, String value) {
        return new SchemaMismatchException(cat.name(), "Column '" + cat.name() + "' has the value '" + value
                + "', which the model never saw; known values: " + cat.categories());
    }

    /**
     * Where the features of each schema column sit in a model's feature vector, for {@link #encodeDense}: the id of
     * a numeric column's value feature, of each category's one-hot feature, and of the column's missing indicator
     * (-1 where the model has no such feature, as it never saw it in training).
     */
    static final class DenseLayout {
        private final int[] valueId;
        private final int[] missingId;
        private final List<Map<String, CategoryFeature>> categoryId;

        private DenseLayout(int[] valueId, int[] missingId, List<Map<String, CategoryFeature>> categoryId) {
            this.valueId = valueId;
            this.missingId = missingId;
            this.categoryId = categoryId;
        }
    }

    /** A category's one-hot feature id (-1: unknown to the model) and its short code (its index in the schema). */
    private record CategoryFeature(int featureId, String code) {}

    /** The layout of this encoder's features in a model that numbers them with {@code featureId} (-1: unknown). */
    DenseLayout layout(java.util.function.ToIntFunction<String> featureId) {
        int n = columns.size();
        int[] valueId = new int[n];
        int[] missingId = new int[n];
        List<Map<String, CategoryFeature>> categoryId = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            ColumnSpec spec = columns.get(c);
            missingId[c] = featureId.applyAsInt(spec.name() + MISSING_SUFFIX);
            Map<String, CategoryFeature> ids = new java.util.HashMap<>();
            if (spec instanceof Numeric) {
                valueId[c] = featureId.applyAsInt(spec.name());
            } else {
                valueId[c] = -1;
                List<String> categories = ((Categorical) spec).categories();
                for (int k = 0; k < categories.size(); k++) {
                    String category = categories.get(k);
                    ids.put(category, new CategoryFeature(featureId.applyAsInt(spec.name() + "=" + category),
                            Integer.toString(k)));
                }
            }
            categoryId.add(ids);
        }
        return new DenseLayout(valueId, missingId, categoryId);
    }

    /** What {@link #encodeDense} found in a record. */
    record Dense(int knownFeatures, boolean informative) {}

    /**
     * Encodes one record strictly (the rules of {@link Mode#STRICT}) straight into a feature vector: {@code x[id]}
     * is set for every feature of the record the model knows, the other entries are left as they are. The same
     * features and values as {@link #encode}, without building them by name.
     *
     * @param codes receives, per schema column, the cell in short form (see {@link #cell})
     * @throws SchemaMismatchException when the record does not fit the schema
     */
    Dense encodeDense(Map<String, String> record, DenseLayout layout, double[] x, String[] codes) {
        requireKnownColumns(record);
        int known = 0;
        boolean informative = false;
        for (int c = 0; c < columns.size(); c++) {
            ColumnSpec spec = columns.get(c);
            String cell = record.get(spec.name());
            if (cell == null) {
                throw absentColumn(spec);
            }
            boolean blank = isBlank(cell);
            String v = blank ? "" : cell.trim();
            codes[c] = v;
            int id;
            if (spec instanceof Numeric num) {
                Double number = parseNumber(v);
                if (number == null && !blank) {
                    throw notANumber(num, cell);
                }
                if ((id = layout.valueId[c]) >= 0) {
                    x[id] = number == null ? 0.0 : Math.max(-CLIP, Math.min(CLIP, (number - num.mean()) / num.std()));
                    known++;
                }
                if (number == null && (id = layout.missingId[c]) >= 0) {
                    x[id] = 1.0;
                    known++;
                }
                informative |= number != null;
            } else if (blank) {
                if ((id = layout.missingId[c]) >= 0) {
                    x[id] = 1.0;
                    known++;
                }
            } else {
                CategoryFeature category = layout.categoryId.get(c).get(v);
                if (category == null) {
                    throw unseenCategory((Categorical) spec, v);
                }
                codes[c] = category.code();
                if ((id = category.featureId()) >= 0) {
                    x[id] = 1.0;
                    known++;
                }
                informative = true;
            }
        }
        return new Dense(known, informative);
    }

    /**
     * The cell of schema column {@code column} that a short code of {@link #encodeDense} stands for: "" (blank) for
     * "", the number itself in a numeric column, the category with that index in a categorical one.
     *
     * @throws IllegalArgumentException when the code cannot come from this schema
     */
    String cell(int column, String code) {
        if (column < 0 || column >= columns.size()) {
            throw new IllegalArgumentException("no column " + column + " in the schema");
        }
        if (code.isEmpty()) {
            return code;
        }
        if (columns.get(column) instanceof Numeric) {
            if (parseNumber(code) == null) {
                throw new IllegalArgumentException("not a number: " + code);
            }
            return code;
        }
        List<String> categories = ((Categorical) columns.get(column)).categories();
        int k;
        try {
            k = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a category index: " + code, e);
        }
        if (k < 0 || k >= categories.size()) {
            throw new IllegalArgumentException("no category " + k + " in column " + columns.get(column).name());
        }
        return categories.get(k);
    }

    /** The type of a schema column, or null when the model does not use it. */
    ColumnType type(String column) {
        Integer c = columnIndex.get(column);
        if (c == null) {
            return null;
        }
        return columns.get(c) instanceof Numeric ? ColumnType.NUMERIC : ColumnType.CATEGORICAL;
    }

    List<ColumnSpec> columns() {
        return columns;
    }

    Map<String, String> dropped() {
        return dropped;
    }

    static boolean isBlank(String cell) {
        return cell == null || cell.isBlank();
    }

    /** Parses a plain decimal number; {@code null} when blank or not a finite number. */
    static Double parseNumber(String cell) {
        if (cell == null) {
            return null;
        }
        String v = cell.trim();
        if (!isPlainNumber(v)) {
            return null;
        }
        double d = Double.parseDouble(v);
        return Double.isFinite(d) ? d : null;
    }

    /**
     * Whether {@code v} is a plain decimal number: an optional sign, digits with an optional decimal point (at least
     * one digit in all), and an optional exponent ({@code e} or {@code E}, an optional sign, digits). ASCII digits
     * only; no spaces, no hexadecimal, no {@code NaN} or {@code Infinity}, no type suffix such as {@code d}, all of
     * which {@link Double#parseDouble} would take. Scanned by hand: this runs for every numeric cell scored.
     */
    static boolean isPlainNumber(String v) {
        int i = afterSign(v, 0);
        int end = afterDigits(v, i);
        int digits = end - i;
        if (end < v.length() && v.charAt(end) == '.') {
            i = end + 1;
            end = afterDigits(v, i);
            digits += end - i;
        }
        if (digits == 0) {
            return false;
        }
        if (end < v.length() && (v.charAt(end) == 'e' || v.charAt(end) == 'E')) {
            i = afterSign(v, end + 1);
            end = afterDigits(v, i);
            if (end == i) {
                return false;
            }
        }
        return end == v.length();
    }

    /** The index after an optional sign at {@code i}. */
    private static int afterSign(String v, int i) {
        return i < v.length() && (v.charAt(i) == '+' || v.charAt(i) == '-') ? i + 1 : i;
    }

    /** The index after the run of ASCII digits that starts at {@code i}. */
    private static int afterDigits(String v, int i) {
        while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    // ---- JSON schema --------------------------------------------------------------------------------------------

    ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode schema = f.objectNode();
        ObjectNode cols = schema.putObject("columns");
        for (ColumnSpec spec : columns) {
            ObjectNode c = cols.putObject(spec.name());
            if (spec instanceof Numeric num) {
                c.put("type", "numeric");
                c.put("mean", num.mean());
                c.put("std", num.std());
                c.put("missingInTraining", num.missingInTraining());
                c.put("malformedInTraining", num.malformedInTraining());
            } else {
                Categorical cat = (Categorical) spec;
                c.put("type", "categorical");
                cat.categories().forEach(c.putArray("categories")::add);
                c.put("missingInTraining", cat.missingInTraining());
            }
        }
        ObjectNode drop = schema.putObject("dropped");
        dropped.forEach(drop::put);
        schema.put("scoringRule", "every schema column must be present (blank = not recorded); a non-number in a"
                + " numeric column, an unseen category or an unknown column is refused, naming the column");
        schema.put("missingRule", "blank cell -> Column" + MISSING_SUFFIX + "=1 (numeric value at the mean); zero is a"
                + " value");
        schema.put("clip", CLIP);
        return schema;
    }

    static FeatureEncoder fromJson(JsonNode schema) throws IOException {
        JsonNode cols = schema.get("columns");
        if (cols == null || !cols.isObject()) {
            throw new IOException("schema.columns missing");
        }
        List<ColumnSpec> specs = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = cols.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode c = e.getValue();
            String type = c.path("type").asText("");
            int missing = c.path("missingInTraining").asInt(0);
            switch (type) {
                case "numeric" -> {
                    JsonNode mean = c.get("mean");
                    JsonNode std = c.get("std");
                    if (mean == null || !mean.isNumber() || std == null || !std.isNumber()
                            || !Double.isFinite(mean.doubleValue()) || !(std.doubleValue() > 0)
                            || !Double.isFinite(std.doubleValue())) {
                        throw new IOException("schema column '" + e.getKey() + "' has no valid mean/std");
                    }
                    specs.add(new Numeric(e.getKey(), mean.doubleValue(), std.doubleValue(), missing,
                            c.path("malformedInTraining").asInt(0)));
                }
                case "categorical" -> {
                    JsonNode cats = c.get("categories");
                    if (cats == null || !cats.isArray()) {
                        throw new IOException("schema column '" + e.getKey() + "' has no categories");
                    }
                    List<String> values = new ArrayList<>();
                    cats.forEach(v -> values.add(v.asText()));
                    List<String> sorted = new ArrayList<>(new TreeSet<>(values));
                    if (!sorted.equals(values)) {
                        throw new IOException("schema column '" + e.getKey() + "' categories not sorted/unique");
                    }
                    specs.add(new Categorical(e.getKey(), values, missing));
                }
                default -> throw new IOException("schema column '" + e.getKey() + "' has unknown type '" + type + "'");
            }
        }
        Map<String, String> dropped = new LinkedHashMap<>();
        JsonNode drop = schema.get("dropped");
        if (drop != null && drop.isObject()) {
            drop.fields().forEachRemaining(e -> dropped.put(e.getKey(), e.getValue().asText()));
        }
        return new FeatureEncoder(specs, dropped);
    }
}

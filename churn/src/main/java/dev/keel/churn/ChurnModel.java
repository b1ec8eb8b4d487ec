package dev.keel.churn;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The churn-risk model: a Tribuo learner ({@link Learner#LR} or {@link Learner#GBT}) over features built by
 * {@link FeatureEncoder}, with Platt-calibrated probabilities, risk-band thresholds and per-customer explanations.
 *
 * <p>{@link #train} runs stratified k-fold cross-validation (same folds for both learners, fixed seed), keeps the
 * learner with the higher out-of-fold ROC AUC (or the one asked for), fits the calibration on that learner's
 * out-of-fold scores, picks the band thresholds on the calibrated out-of-fold probabilities, and finally fits the
 * learner on the whole table. The high band starts at the smallest probability at which at least
 * {@value #HIGH_PRECISION_TARGET} of out-of-fold customers churned; the medium band at the base churn rate.
 *
 * <p>Scoring is strict: a record that does not fit the schema is refused with a {@link SchemaMismatchException}
 * naming the column. A score is always a finite probability; a model whose weights or outputs are not finite is
 * refused when it is trained, saved or loaded.
 */
public final class ChurnModel {

    private static final Logger LOG = LoggerFactory.getLogger(ChurnModel.class);

    static final double HIGH_PRECISION_TARGET = 0.6;
    static final int RAISING_FACTORS = 3;
    static final int LOWERING_FACTORS = 2;

    final FittedModel fitted;
    final PlattCalibrator calibrator;
    final BandThresholds thresholds;
    final BandThresholds trainedThresholds;
    final ModelInfo info;
    /** The schema column of each feature id (-1 for none), and whether a column has any feature in the model. */
    private final int[] featureColumn;
    private final boolean[] columnInModel;
    /** Schema column names, and each column's rank in name order (ties between equal contributions go by name). */
    private final List<String> columnNames;
    private final int[] nameRank;

    /**
     * What is known about a trained model besides its parameters.
     *
     * @param metrics    cross-validated metrics of the chosen learner
     * @param comparison cross-validated metrics of every learner tried, by learner id
     */
    record ModelInfo(String version, String trainedAt, String dataFingerprint, int dataRows, long seed,
                     String idColumn, String labelColumn, String positiveValue, double baseRate,
                     Map<String, Object> metrics, Map<String, Object> comparison) {
        ModelInfo {
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
            comparison = Collections.unmodifiableMap(new LinkedHashMap<>(comparison));
        }
    }

    ChurnModel(FittedModel fitted, PlattCalibrator calibrator, BandThresholds trainedThresholds,
               BandThresholds thresholds, ModelInfo info) {
        fitted.requireFinite();
        this.fitted = fitted;
        this.calibrator = calibrator;
        this.trainedThresholds = trainedThresholds;
        this.thresholds = thresholds;
        this.info = info;
        this.columnNames = fitted.encoder().columns().stream().map(FeatureEncoder.ColumnSpec::name).toList();
        Map<String, Integer> columnOf = featureColumns(fitted);
        List<String> features = fitted.featureNames();
        this.featureColumn = new int[features.size()];
        this.columnInModel = new boolean[columnNames.size()];
        for (int j = 0; j < features.size(); j++) {
            featureColumn[j] = columnOf.getOrDefault(features.get(j), -1);
            if (featureColumn[j] >= 0) {
                columnInModel[featureColumn[j]] = true;
            }
        }
        Integer[] byName = new Integer[columnNames.size()];
        for (int c = 0; c < byName.length; c++) {
            byName[c] = c;
        }
        java.util.Arrays.sort(byName, Comparator.comparing(columnNames::get));
        this.nameRank = new int[byName.length];
        for (int r = 0; r < byName.length; r++) {
            nameRank[byName[r]] = r;
        }
    }

    // ---- training -----------------------------------------------------------------------------------------------

    /** Trains with {@link TrainingOptions#defaults}. */
    public static ChurnModel train(CustomerTable table, long seed) {
        return train(table, TrainingOptions.defaults(seed));
    }

    /**
     * Trains on every row of {@code table}, after cross-validation (see class comment).
     *
     * @throws IllegalArgumentException if the table cannot be learnt from (too few of a class, no usable column, a
     *                                  type override naming an unknown column)
     * @throws IllegalStateException    if training produced non-finite weights or predictions
     */
    public static ChurnModel train(CustomerTable table, TrainingOptions options) {
        Objects.requireNonNull(table, "table");
        long start = System.nanoTime();
        int n = table.size();
        List<Map<String, String>> rows = new ArrayList<>(n);
        boolean[] labels = new boolean[n];
        int positives = 0;
        for (int i = 0; i < n; i++) {
            String id = table.ids().get(i);
            rows.add(table.record(id).orElseThrow());
            labels[i] = table.label(id).orElseThrow();
            positives += labels[i] ? 1 : 0;
        }
        int negatives = n - positives;
        if (positives < 2 || negatives < 2) {
            throw new IllegalArgumentException("Need at least 2 churned and 2 retained customers to train, got "
                    + positives + " churned and " + negatives + " retained");
        }
        List<String> columns = table.columns();
        Map<String, ColumnType> types = FeatureEncoder.inferTypes(columns, rows, options.types());

        int k = Math.min(options.folds(), Math.min(positives, negatives));
        int[] fold = CrossValidation.stratifiedFolds(labels, k, options.seed());
        List<Learner> candidates = options.learner() == null ? List.of(Learner.values()) : List.of(options.learner());
        Map<String, Object> comparison = new LinkedHashMap<>();
        CrossValidation best = null;
        double bestAuc = Double.NEGATIVE_INFINITY;
        for (Learner learner : candidates) {
            long t0 = System.nanoTime();
            CrossValidation cv = CrossValidation.run(learner, columns, rows, labels, types, fold, k, options.seed());
            Map<String, Object> m = cv.metrics(labels);
            m.put("cvMillis", (System.nanoTime() - t0) / 1_000_000);
            comparison.put(learner.id(), m);
            double auc = (double) m.get("rocAuc");
            if (auc > bestAuc) {
                best = cv;
                bestAuc = auc;
            }
        }

        double baseRate = (double) positives / n;
        double[] oof = best.calibrated();
        double high = Metrics.smallestCutWithPrecision(oof, labels, HIGH_PRECISION_TARGET);
        boolean highReached = !Double.isNaN(high);
        if (!highReached) {
            high = Collections.max(java.util.Arrays.stream(oof).boxed().toList());
        }
        high = Math.max(high, baseRate);
        BandThresholds bands = new BandThresholds(high, baseRate);
        double[] pr = Metrics.precisionRecallAt(oof, labels, high);

        Map<String, Object> metrics = new LinkedHashMap<>(castMap(comparison.get(best.learner().id())));
        metrics.put("n", n);
        metrics.put("positives", positives);
        metrics.put("folds", k);
        metrics.put("seed", options.seed());
        metrics.put("baseRate", baseRate);
        metrics.put("highThresholdPrecision", pr[0]);
        metrics.put("highThresholdRecall", pr[1]);
        metrics.put("highPrecisionTargetReached", highReached);
        metrics.put("evaluation", "stratified " + k + "-fold cross-validation, out-of-fold predictions,"
                + " calibration cross-fitted on the other folds");
        for (Map.Entry<String, Object> e : metrics.entrySet()) {
            if (e.getValue() instanceof Double d && !Double.isFinite(d)) {
                throw new IllegalStateException("Cross-validation metric " + e.getKey() + " is not finite");
            }
        }

        PlattCalibrator calibrator = PlattCalibrator.fit(best.raw(), labels);
        FeatureEncoder encoder = FeatureEncoder.fit(columns, rows, types);
        FittedModel fitted = FittedModel.fit(best.learner(), encoder, rows, labels, options.seed());
        requireFiniteOutputs(fitted, rows);

        String version = "churn-" + best.learner().id() + "-" + CustomerTable.sha256Hex((table.fingerprint() + "|"
                + options.seed() + "|" + best.learner().description() + "|" + types + "|" + ModelFiles.FORMAT)
                .getBytes(StandardCharsets.UTF_8)).substring(0, 12);
        ModelInfo info = new ModelInfo(version, Instant.now().toString(), table.fingerprint(), n, options.seed(),
                table.idColumn(), table.labelColumn(), table.positiveValue(), baseRate, metrics, comparison);
        ChurnModel model = new ChurnModel(fitted, calibrator, bands, bands, info);
        LOG.info("Trained churn model {} on {} rows in {} ms: rocAuc={} prAuc={} brier={}; high>={} medium>={}",
                version, n, (System.nanoTime() - start) / 1_000_000, metrics.get("rocAuc"), metrics.get("prAuc"),
                metrics.get("brier"), high, baseRate);
        return model;
    }

    /** The publish gate for outputs: the final model must give a finite probability for every training row. */
    private static void requireFiniteOutputs(FittedModel fitted, List<Map<String, String>> rows) {
        List<FeatureEncoder.Encoded> encoded = new ArrayList<>(rows.size());
        for (Map<String, String> row : rows) {
            encoded.add(fitted.encoder().encode(row, FeatureEncoder.Mode.LENIENT));
        }
        double[] p = fitted.rawProbabilities(encoded);
        for (int i = 0; i < p.length; i++) {
            if (!Double.isFinite(p[i]) && !encoded.get(i).features().isEmpty()) {
                throw new IllegalStateException("The trained model gives a non-finite probability for row " + (i + 1)
                        + ": refusing to publish it");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }

    // ---- scoring ------------------------------------------------------------------------------------------------

    /**
     * Scores one customer.
     *
     * @param record cells by column name; every schema column must be present (blank when not recorded)
     * @throws SchemaMismatchException naming the column when the record does not fit the schema
     */
    public ChurnScore score(Map<String, String> record) {
        return described(scoreCoded(record));
    }

    /**
     * Scores many customers.
     *
     * @throws SchemaMismatchException naming the column for the first record that does not fit the schema
     */
    public List<ChurnScore> scoreAll(List<Map<String, String>> records) {
        List<ChurnScore> out = new ArrayList<>(records.size());
        for (Map<String, String> record : records) {
            out.add(score(record));
        }
        return out;
    }

    /**
     * Scores one customer like {@link #score}, leaving the factors in short form: the fast path for scoring many
     * customers into a store, the words coming back with {@link #factor} when a score is read. Thread-safe.
     *
     * @throws SchemaMismatchException naming the column when the record does not fit the schema
     */
    public CodedScore scoreCoded(Map<String, String> record) {
        return coded(scored(record));
    }

    private CodedScore coded(Scored s) {
        if (s.unknown()) {
            return new CodedScore(info.baseRate(), RiskBand.UNKNOWN, List.of());
        }
        double p = calibrator.apply(s.raw());
        if (!Double.isFinite(p) || p < 0.0 || p > 1.0) {
            throw new IllegalStateException("Model produced an invalid probability " + p);
        }
        List<FactorCode> shown = new ArrayList<>(RAISING_FACTORS + LOWERING_FACTORS);
        int raising = 0;
        for (int c : s.order()) {
            if (s.byColumn()[c] > 1e-9 && raising++ < RAISING_FACTORS) {
                shown.add(s.code(c));
            }
        }
        int lowering = 0;
        for (int c : s.order()) {
            if (s.byColumn()[c] < -1e-9 && lowering++ < LOWERING_FACTORS) {
                shown.add(s.code(c));
            }
        }
        return new CodedScore(p, thresholds.band(p), shown);
    }

    /**
     * A factor in words, from its short form.
     *
     * @throws IllegalArgumentException when the code cannot come from this model's schema
     */
    public Factor factor(FactorCode code) {
        String cell = fitted.encoder().cell(code.column(), code.cell());
        String column = columnNames.get(code.column());
        return new Factor(column, FactorDescriber.describe(column, cell, fitted.encoder().type(column)),
                code.contribution());
    }

    /** The score of a coded one, its factors in words. */
    public ChurnScore described(CodedScore coded) {
        List<Factor> factors = new ArrayList<>(coded.factors().size());
        for (FactorCode code : coded.factors()) {
            factors.add(factor(code));
        }
        return new ChurnScore(coded.probability(), coded.band(), factors, info.version());
    }

    /** Checks a record against the schema without scoring it. */
    public void check(Map<String, String> record) {
        fitted.check(record);
    }

    /** Scores one customer and lists every column's contribution, strongest first. */
    public Explanation explain(Map<String, String> record) {
        Scored s = scored(record);
        List<Factor> all = new ArrayList<>(s.order().length);
        if (s.byColumn() != null) {
            for (int c : s.order()) {
                all.add(factor(s.code(c)));
            }
        }
        return new Explanation(described(coded(s)), all);
    }

    List<Explanation> explainAll(List<Map<String, String>> records) {
        List<Explanation> out = new ArrayList<>(records.size());
        for (Map<String, String> record : records) {
            out.add(explain(record));
        }
        return out;
    }

    /**
     * One record's raw probability and its contributions summed per column (one-hot features and missing indicators
     * belong to their column), with the model's columns ordered strongest first (by absolute contribution, then by
     * name); {@code byColumn} null when no feature of the record is known to the model.
     */
    private record Scored(double raw, boolean informative, double[] byColumn, int[] order, String[] codes) {
        boolean unknown() {
            return Double.isNaN(raw) || !informative;
        }

        FactorCode code(int column) {
            return new FactorCode(column, codes[column], byColumn[column]);
        }
    }

    private Scored scored(Map<String, String> record) {
        String[] codes = new String[columnNames.size()];
        FittedModel.Contributions contributions = fitted.explain(Objects.requireNonNull(record, "record"), codes);
        double[] byFeature = contributions.byFeature();
        double raw = FittedModel.probability(byFeature);
        if (byFeature == null) {
            return new Scored(raw, contributions.informative(), null, new int[0], codes);
        }
        double[] byColumn = new double[columnNames.size()];
        for (int j = 0; j < featureColumn.length; j++) {
            if (featureColumn[j] >= 0) {
                byColumn[featureColumn[j]] += byFeature[j];
            }
        }
        return new Scored(raw, contributions.informative(), byColumn, strongestFirst(byColumn), codes);
    }

    /** The model's columns by absolute contribution, largest first, ties by name (an insertion sort: ~20 columns). */
    private int[] strongestFirst(double[] byColumn) {
        int[] order = new int[byColumn.length];
        int size = 0;
        for (int c = 0; c < byColumn.length; c++) {
            if (!columnInModel[c]) {
                continue;
            }
            int at = size++;
            while (at > 0 && before(c, order[at - 1], byColumn)) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = c;
        }
        return size == order.length ? order : java.util.Arrays.copyOf(order, size);
    }

    private boolean before(int a, int b, double[] byColumn) {
        int cmp = Double.compare(-Math.abs(byColumn[a]), -Math.abs(byColumn[b]));
        return cmp < 0 || cmp == 0 && nameRank[a] < nameRank[b];
    }

    /** The schema column (by position) of every feature name the encoder can produce. */
    private static Map<String, Integer> featureColumns(FittedModel fitted) {
        Map<String, Integer> out = new LinkedHashMap<>();
        List<FeatureEncoder.ColumnSpec> columns = fitted.encoder().columns();
        for (int c = 0; c < columns.size(); c++) {
            FeatureEncoder.ColumnSpec spec = columns.get(c);
            out.put(spec.name(), c);
            out.put(spec.name() + FeatureEncoder.MISSING_SUFFIX, c);
            if (spec instanceof FeatureEncoder.Categorical cat) {
                for (String value : cat.categories()) {
                    out.put(spec.name() + "=" + value, c);
                }
            }
        }
        return out;
    }

    /**
     * The same model with other band thresholds (from configuration); null keeps the trained value.
     *
     * @throws IllegalArgumentException unless 0 &le; medium &le; high &le; 1
     */
    public ChurnModel withThresholds(Double high, Double medium) {
        if (high == null && medium == null) {
            return this;
        }
        BandThresholds bands = new BandThresholds(high != null ? high : thresholds.high(),
                medium != null ? medium : thresholds.medium());
        return new ChurnModel(fitted, calibrator, trainedThresholds, bands, info);
    }

    /** Writes the model files into {@code dir}; see {@link ModelFiles}. */
    public void save(Path dir) throws IOException {
        ModelFiles.save(this, dir);
    }

    /** Reads and checks the model files in {@code dir}; see {@link ModelFiles}. */
    public static ChurnModel load(Path dir) throws IOException {
        return ModelFiles.load(dir);
    }

    // ---- accessors ----------------------------------------------------------------------------------------------

    /** Model version: the learner plus a hash of the data fingerprint, seed, trainer settings and file format. */
    public String version() {
        return info.version();
    }

    /** SHA-256 of the CSV file the model was trained on. */
    public String dataFingerprint() {
        return info.dataFingerprint();
    }

    /** The learner this model uses. */
    public Learner learner() {
        return fitted.learner();
    }

    /**
     * Cross-validated metrics of the chosen learner: {@code rocAuc}, {@code prAuc}, {@code brier}, {@code logLoss},
     * per-fold spreads, the reliability table, {@code n}, {@code positives}, {@code folds}, {@code baseRate} and
     * precision/recall at the high threshold.
     */
    public Map<String, Object> metrics() {
        return info.metrics();
    }

    /** Cross-validated metrics of every learner tried, by learner id ({@code lr}, {@code gbt}). */
    public Map<String, Object> comparison() {
        return info.comparison();
    }

    /** Probability at or above which a customer is {@link RiskBand#HIGH}. */
    public double highThreshold() {
        return thresholds.high();
    }

    /** Probability at or above which a customer is at least {@link RiskBand#MEDIUM}. */
    public double mediumThreshold() {
        return thresholds.medium();
    }

    /** When the model was trained (ISO-8601 instant). */
    public String trainedAt() {
        return info.trainedAt();
    }

    /** Id column of the table the model was trained on. */
    public String idColumn() {
        return info.idColumn();
    }

    /** Label column of the table the model was trained on. */
    public String labelColumn() {
        return info.labelColumn();
    }

    /** Label value meaning "churned" in the training table. */
    public String positiveValue() {
        return info.positiveValue();
    }

    /** Feature columns the model uses, in table order. */
    public List<String> columns() {
        return columnNames;
    }

    /** Columns dropped at training time, with the reason. */
    public Map<String, String> droppedColumns() {
        return fitted.encoder().dropped();
    }
}

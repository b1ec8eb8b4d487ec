package dev.keel.churn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * Churn-risk model: a Tribuo logistic regression ({@link LinearSGDTrainer} with {@link LogMulticlass} and AdaGrad)
 * over features built by this class from a {@link CustomerTable}.
 *
 * <p>Features (see {@code FeatureEncoder}): numeric columns are standardised with training mean/std and clipped to
 * &plusmn;10; a blank numeric cell is <em>missing</em> (value 0 plus a {@code Column#missing} indicator, never a
 * zero amount); categorical columns are one-hot {@code Column=value}; constant and identifier-like columns are
 * dropped and listed in the schema. <b>At scoring time a category the model never saw is ignored</b> (it contributes
 * nothing), cells of unknown columns are ignored, and an absent cell counts as blank.
 *
 * <p>{@link #train} first runs stratified k-fold cross-validation (k = 5, or fewer when a class has fewer than 5
 * rows) with the same seed, refitting the encoder on each training fold, and derives from the out-of-fold
 * probabilities the metrics and the band thresholds; then it fits the final model on the whole table.
 *
 * <p>Outputs are finite by construction: a model whose weights contain NaN/Inf, or whose validation predictions are
 * not finite, is refused with an {@link IllegalStateException}.
 */
public final class ChurnModel {

    private static final Logger LOG = LoggerFactory.getLogger(ChurnModel.class);

    static final String CHURN = "churn";
    static final String STAY = "stay";
    static final String MODEL_FILE = "model.ser";
    static final String META_FILE = "model.json";
    static final int FORMAT = 1;
    static final int MAX_FOLDS = 5;
    static final double HIGH_PRECISION_TARGET = 0.6;

    static final int EPOCHS = 8;
    static final double LEARNING_RATE = 0.05;
    static final double ADAGRAD_EPSILON = 1e-6;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final LinearSGDModel model;
    private final FeatureEncoder encoder;
    private final String version;
    private final String trainedAt;
    private final String dataFingerprint;
    private final long seed;
    private final String idColumn;
    private final String labelColumn;
    private final String positiveValue;
    private final double highThreshold;
    private final double mediumThreshold;
    private final Map<String, Object> metrics;
    /** weight(churn) - weight(stay) per feature id; the last entry is the bias. */
    private final double[] churnLogOdds;
    private final Label churnLabel;

    private ChurnModel(LinearSGDModel model, FeatureEncoder encoder, String version, String trainedAt,
                       String dataFingerprint, long seed, String idColumn, String labelColumn,
                       String positiveValue, double highThreshold, double mediumThreshold,
                       Map<String, Object> metrics) {
        this.model = model;
        this.encoder = encoder;
        this.version = version;
        this.trainedAt = trainedAt;
        this.dataFingerprint = dataFingerprint;
        this.seed = seed;
        this.idColumn = idColumn;
        this.labelColumn = labelColumn;
        this.positiveValue = positiveValue;
        this.highThreshold = highThreshold;
        this.mediumThreshold = mediumThreshold;
        this.metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        if (!model.generatesProbabilities()) {
            throw new IllegalStateException("Tribuo model does not generate probabilities");
        }
        this.churnLogOdds = logOddsWeights(model);
        this.churnLabel = new Label(CHURN);
    }

    // ---- training -----------------------------------------------------------------------------------------------

    /**
     * Trains the model on every row of {@code table}, after stratified cross-validation (see class javadoc).
     *
     * @param table customers with labels; needs at least 2 churned and 2 retained customers
     * @param seed  seed for fold assignment and SGD shuffling; the same table and seed give the same model
     * @throws IllegalArgumentException if the table cannot be learnt from (too few of a class, no usable column)
     * @throws IllegalStateException    if training produced non-finite weights or predictions
     */
    public static ChurnModel train(CustomerTable table, long seed) {
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
            if (labels[i]) {
                positives++;
            }
        }
        int negatives = n - positives;
        if (positives < 2 || negatives < 2) {
            throw new IllegalArgumentException("Need at least 2 churned and 2 retained customers to train, got "
                    + positives + " churned and " + negatives + " retained");
        }
        List<String> columns = table.columns();
        Map<String, Boolean> numericTypes = FeatureEncoder.inferNumeric(columns, rows);

        // ---- stratified k-fold cross-validation, out-of-fold probabilities
        int k = Math.min(MAX_FOLDS, Math.min(positives, negatives));
        int[] fold = stratifiedFolds(labels, k, seed);
        double[] oof = new double[n];
        for (int f = 0; f < k; f++) {
            List<Map<String, String>> trainRows = new ArrayList<>();
            List<Boolean> trainLabels = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (fold[i] != f) {
                    trainRows.add(rows.get(i));
                    trainLabels.add(labels[i]);
                }
            }
            FeatureEncoder enc = FeatureEncoder.fit(columns, trainRows, numericTypes);
            LinearSGDModel m = fit(enc, trainRows, trainLabels, seed);
            requireFiniteWeights(m);
            Label churn = new Label(CHURN);
            for (int i = 0; i < n; i++) {
                if (fold[i] == f) {
                    oof[i] = probability(m, churn, enc.encode(rows.get(i)));
                    if (!Double.isFinite(oof[i])) {
                        throw new IllegalStateException("Cross-validation produced a non-finite prediction for "
                                + table.ids().get(i));
                    }
                }
            }
        }

        // ---- metrics and thresholds from the out-of-fold predictions
        double rocAuc = Metrics.rocAuc(oof, labels);
        double prAuc = Metrics.prAuc(oof, labels);
        double brier = Metrics.brier(oof, labels);
        double baseRate = (double) positives / n;
        double high = Metrics.smallestCutWithPrecision(oof, labels, HIGH_PRECISION_TARGET);
        boolean highReached = !Double.isNaN(high);
        if (!highReached) {
            // no cut reaches the precision target: only the very top out-of-fold score counts as high
            high = max(oof);
        }
        double medium = baseRate;
        if (high < medium) {
            high = medium;
        }
        double[] pr = Metrics.precisionRecallAt(oof, labels, high);

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("rocAuc", rocAuc);
        metrics.put("prAuc", prAuc);
        metrics.put("brier", brier);
        metrics.put("n", n);
        metrics.put("positives", positives);
        metrics.put("folds", k);
        metrics.put("baseRate", baseRate);
        metrics.put("highThresholdPrecision", pr[0]);
        metrics.put("highThresholdRecall", pr[1]);
        metrics.put("highPrecisionTargetReached", highReached);
        for (Map.Entry<String, Object> e : metrics.entrySet()) {
            if (e.getValue() instanceof Double d && !Double.isFinite(d)) {
                throw new IllegalStateException("Cross-validation metric " + e.getKey() + " is not finite");
            }
        }

        // ---- final model on all rows
        FeatureEncoder encoder = FeatureEncoder.fit(columns, rows, numericTypes);
        List<Boolean> allLabels = new ArrayList<>(n);
        for (boolean b : labels) {
            allLabels.add(b);
        }
        LinearSGDModel finalModel = fit(encoder, rows, allLabels, seed);
        requireFiniteWeights(finalModel);

        String version = "churn-lr-" + CustomerTable.sha256Hex((table.fingerprint() + "|" + seed + "|"
                + trainerDescription() + "|" + FORMAT).getBytes(StandardCharsets.UTF_8)).substring(0, 12);
        ChurnModel result = new ChurnModel(finalModel, encoder, version, Instant.now().toString(),
                table.fingerprint(), seed, table.idColumn(), table.labelColumn(), table.positiveValue(),
                high, medium, metrics);
        LOG.info("Trained churn model {} on {} rows in {} ms: {}; thresholds high={} medium={}", version, n,
                (System.nanoTime() - start) / 1_000_000, metrics, high, medium);
        return result;
    }

    private static LinearSGDModel fit(FeatureEncoder encoder, List<Map<String, String>> rows, List<Boolean> labels,
                                      long seed) {
        LabelFactory factory = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(
                new SimpleDataSourceProvenance("keel customer table", factory), factory);
        Label churn = new Label(CHURN);
        Label stay = new Label(STAY);
        for (int i = 0; i < rows.size(); i++) {
            FeatureEncoder.Encoded e = encoder.encode(rows.get(i));
            if (e.features().isEmpty()) {
                throw new IllegalArgumentException("No usable feature columns: every column was dropped "
                        + encoder.dropped());
            }
            data.add(new ArrayExample<>(labels.get(i) ? churn : stay, e.names(), e.values()));
        }
        Model<Label> m = newTrainer(seed).train(data);
        return (LinearSGDModel) m;
    }

    private static LinearSGDTrainer newTrainer(long seed) {
        // a fresh trainer per fit so every fit with the same seed shuffles the same way
        return new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(LEARNING_RATE, ADAGRAD_EPSILON), EPOCHS, -1, 1,
                seed);
    }

    private static String trainerDescription() {
        return newTrainer(0).toString().replace(",seed=0", "");
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

    // ---- scoring ------------------------------------------------------------------------------------------------

    /**
     * Scores one customer.
     *
     * @param record raw cells by column name, as in {@link CustomerTable#record}; extra columns (such as the id or
     *               label) are ignored, an absent column counts as a blank cell, and an unseen category is ignored
     * @return probability, band, up to three risk-raising factors and the model version
     * @throws IllegalArgumentException naming the column when a numeric cell is neither blank nor a number
     */
    public ChurnScore score(Map<String, String> record) {
        Objects.requireNonNull(record, "record");
        FeatureEncoder.Encoded encoded = encoder.encode(record);
        double p = probability(model, churnLabel, encoded);
        if (!Double.isFinite(p) || p < 0.0 || p > 1.0) {
            throw new IllegalStateException("Model produced an invalid probability " + p);
        }
        RiskBand band;
        if (!encoded.informative()) {
            band = RiskBand.UNKNOWN;
        } else if (p >= highThreshold) {
            band = RiskBand.HIGH;
        } else if (p >= mediumThreshold) {
            band = RiskBand.MEDIUM;
        } else {
            band = RiskBand.LOW;
        }
        return new ChurnScore(p, band, factors(encoded), version);
    }

    private List<Factor> factors(FeatureEncoder.Encoded encoded) {
        ImmutableFeatureMap features = model.getFeatureIDMap();
        List<Factor> raising = new ArrayList<>();
        for (FeatureEncoder.EncodedFeature f : encoded.features()) {
            int id = features.getID(f.name());
            if (id < 0) {
                continue;
            }
            double contribution = churnLogOdds[id] * f.value();
            if (contribution > 1e-9) {
                raising.add(new Factor(f.name(), FactorDescriber.describe(f), contribution));
            }
        }
        raising.sort(Comparator.comparingDouble(Factor::contribution).reversed()
                .thenComparing(Factor::feature));
        return raising.size() > 3 ? List.copyOf(raising.subList(0, 3)) : List.copyOf(raising);
    }

    /**
     * Churn probability from Tribuo's prediction. When none of the record's features is known to the model
     * (Tribuo refuses such examples), the answer is the intercept-only probability.
     */
    private static double probability(LinearSGDModel m, Label churn, FeatureEncoder.Encoded encoded) {
        ImmutableFeatureMap features = m.getFeatureIDMap();
        boolean anyKnown = false;
        for (FeatureEncoder.EncodedFeature f : encoded.features()) {
            if (features.getID(f.name()) >= 0) {
                anyKnown = true;
                break;
            }
        }
        if (!anyKnown) {
            double[] w = logOddsWeights(m);
            return 1.0 / (1.0 + Math.exp(-w[w.length - 1]));
        }
        Prediction<Label> prediction = m.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, encoded.names(),
                encoded.values()));
        Label score = prediction.getOutputScores().get(churn.getLabel());
        if (score == null) {
            throw new IllegalStateException("Model has no '" + CHURN + "' output");
        }
        return score.getScore();
    }

    private static double[] logOddsWeights(LinearSGDModel m) {
        requireFiniteWeights(m);
        ImmutableOutputInfo<Label> outputs = m.getOutputIDInfo();
        int churnId = outputs.getID(new Label(CHURN));
        int stayId = outputs.getID(new Label(STAY));
        if (churnId < 0 || stayId < 0 || outputs.size() != 2) {
            throw new IllegalStateException("Model outputs must be exactly {" + CHURN + ", " + STAY + "}, got "
                    + outputs.getDomain());
        }
        DenseMatrix w = m.getWeightsCopy();
        double[] delta = new double[w.getDimension2Size()];
        for (int j = 0; j < delta.length; j++) {
            delta[j] = w.get(churnId, j) - w.get(stayId, j);
        }
        return delta;
    }

    private static void requireFiniteWeights(LinearSGDModel m) {
        DenseMatrix w = m.getWeightsCopy();
        for (int i = 0; i < w.getDimension1Size(); i++) {
            for (int j = 0; j < w.getDimension2Size(); j++) {
                if (!Double.isFinite(w.get(i, j))) {
                    throw new IllegalStateException("Model weights are not finite (row " + i + ", column " + j
                            + "): refusing to use this model");
                }
            }
        }
    }

    // ---- persistence --------------------------------------------------------------------------------------------

    /**
     * Writes {@code dir/model.ser} (the Tribuo model, protobuf format) and {@code dir/model.json} (version,
     * trainedAt, dataFingerprint, schema, band thresholds, cross-validation metrics and the sha-256 of model.ser).
     * Creates {@code dir} if needed.
     *
     * @throws IllegalStateException if the weights are not finite
     */
    public void save(Path dir) throws IOException {
        requireFiniteWeights(model);
        Files.createDirectories(dir);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        model.serializeToStream(buffer);
        byte[] modelBytes = buffer.toByteArray();

        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", version);
        root.put("trainedAt", trainedAt);
        root.put("dataFingerprint", dataFingerprint);
        root.put("seed", seed);
        root.put("idColumn", idColumn);
        root.put("labelColumn", labelColumn);
        root.put("positiveValue", positiveValue);
        ObjectNode labels = root.putObject("labels");
        labels.put("positive", CHURN);
        labels.put("negative", STAY);
        root.put("trainer", trainerDescription());
        root.put("modelFile", MODEL_FILE);
        root.put("modelSha256", CustomerTable.sha256Hex(modelBytes));
        ArrayNode featureNames = root.putArray("features");
        modelFeatureNames(model).forEach(featureNames::add);
        root.set("schema", encoder.toJson());
        ObjectNode bands = root.putObject("bandThresholds");
        bands.put("high", highThreshold);
        bands.put("medium", mediumThreshold);
        bands.put("highRule", "smallest out-of-fold probability cut with churn precision >= " + HIGH_PRECISION_TARGET);
        bands.put("mediumRule", "base churn rate of the training table");
        root.set("cvMetrics", JSON.valueToTree(metrics));

        writeAtomically(dir.resolve(MODEL_FILE), modelBytes);
        writeAtomically(dir.resolve(META_FILE), JSON.writeValueAsBytes(root));
    }

    /**
     * Reads a model written by {@link #save}.
     *
     * @throws IOException if a file is missing or unreadable, or the two files do not agree (model.ser's sha-256,
     *                     feature list, labels), or the model is not a finite Tribuo logistic regression
     */
    public static ChurnModel load(Path dir) throws IOException {
        Path metaFile = dir.resolve(META_FILE);
        Path modelFile = dir.resolve(MODEL_FILE);
        JsonNode root;
        byte[] modelBytes;
        try {
            root = JSON.readTree(Files.readAllBytes(metaFile));
        } catch (NoSuchFileException e) {
            throw new IOException("Churn model metadata not found: " + metaFile, e);
        } catch (JsonProcessingException e) {
            throw new IOException("Churn model metadata is not valid JSON: " + metaFile + ": "
                    + e.getOriginalMessage(), e);
        }
        try {
            modelBytes = Files.readAllBytes(modelFile);
        } catch (NoSuchFileException e) {
            throw new IOException("Churn model file not found: " + modelFile, e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(metaFile + " is not a JSON object");
        }
        int format = root.path("format").asInt(-1);
        if (format != FORMAT) {
            throw new IOException(metaFile + " has format " + format + ", expected " + FORMAT);
        }
        String expectedSha = text(root, "modelSha256", metaFile);
        String actualSha = CustomerTable.sha256Hex(modelBytes);
        if (!expectedSha.equals(actualSha)) {
            throw new IOException(modelFile + " does not match " + metaFile + " (sha-256 " + actualSha
                    + ", expected " + expectedSha + "); the files come from different models or one was modified");
        }
        LinearSGDModel model;
        try {
            Model<?> raw = Model.deserializeFromStream(new ByteArrayInputStream(modelBytes));
            if (!(raw instanceof LinearSGDModel lin) || !raw.validate(Label.class)) {
                throw new IOException(modelFile + " is not a Tribuo linear classification model: "
                        + raw.getClass().getName());
            }
            model = lin;
        } catch (RuntimeException e) {
            throw new IOException("Cannot read Tribuo model " + modelFile + ": " + e.getMessage(), e);
        }
        Set<Label> domain = model.getOutputIDInfo().getDomain();
        if (!domain.equals(Set.of(new Label(CHURN), new Label(STAY)))) {
            throw new IOException(modelFile + " predicts " + domain + ", expected {" + CHURN + ", " + STAY + "}");
        }
        List<String> listed = new ArrayList<>();
        root.path("features").forEach(f -> listed.add(f.asText()));
        if (!listed.equals(modelFeatureNames(model))) {
            throw new IOException(metaFile + " lists different features than " + modelFile);
        }
        FeatureEncoder encoder = FeatureEncoder.fromJson(root.path("schema"));
        JsonNode bands = root.path("bandThresholds");
        double high = probabilityField(bands, "high", metaFile);
        double medium = probabilityField(bands, "medium", metaFile);
        JsonNode cv = root.get("cvMetrics");
        if (cv == null || !cv.isObject()) {
            throw new IOException(metaFile + " has no cvMetrics");
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        cv.fields().forEachRemaining(e -> metrics.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        String trainedAt = text(root, "trainedAt", metaFile);
        try {
            Instant.parse(trainedAt);
        } catch (DateTimeParseException e) {
            throw new IOException(metaFile + " has an invalid trainedAt: " + trainedAt, e);
        }
        try {
            return new ChurnModel(model, encoder, text(root, "version", metaFile), trainedAt,
                    text(root, "dataFingerprint", metaFile), root.path("seed").asLong(),
                    root.path("idColumn").asText(""), root.path("labelColumn").asText(""),
                    root.path("positiveValue").asText(""), high, medium, metrics);
        } catch (IllegalStateException e) {
            throw new IOException("Refusing to load " + modelFile + ": " + e.getMessage(), e);
        }
    }

    private static List<String> modelFeatureNames(LinearSGDModel m) {
        ImmutableFeatureMap features = m.getFeatureIDMap();
        List<String> names = new ArrayList<>(features.size());
        for (int i = 0; i < features.size(); i++) {
            names.add(features.get(i).getName());
        }
        return names;
    }

    private static String text(JsonNode root, String field, Path file) throws IOException {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new IOException(file + " has no " + field);
        }
        return v.asText();
    }

    private static double probabilityField(JsonNode node, String field, Path file) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.isNumber() || !(v.doubleValue() >= 0.0 && v.doubleValue() <= 1.0)) {
            throw new IOException(file + " has no valid bandThresholds." + field);
        }
        return v.doubleValue();
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static double max(double[] values) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    // ---- accessors ----------------------------------------------------------------------------------------------

    /** Model version: derived from the data fingerprint, seed and trainer settings. */
    public String version() {
        return version;
    }

    /** SHA-256 of the CSV file the model was trained on. */
    public String dataFingerprint() {
        return dataFingerprint;
    }

    /**
     * Cross-validation metrics: {@code rocAuc}, {@code prAuc} (average precision), {@code brier}, {@code n}, plus
     * {@code positives}, {@code folds}, {@code baseRate}, {@code highThresholdPrecision},
     * {@code highThresholdRecall} and {@code highPrecisionTargetReached}.
     */
    public Map<String, Object> metrics() {
        return metrics;
    }

    /** Probability at or above which a customer is {@link RiskBand#HIGH}. */
    public double highThreshold() {
        return highThreshold;
    }

    /** Probability at or above which a customer is at least {@link RiskBand#MEDIUM} (the base churn rate). */
    public double mediumThreshold() {
        return mediumThreshold;
    }

    /** When the model was trained (ISO-8601 instant). */
    public String trainedAt() {
        return trainedAt;
    }

    /** Feature columns the model uses, in table order. */
    public List<String> columns() {
        return encoder.columns().stream().map(FeatureEncoder.ColumnSpec::name).toList();
    }

    /** Columns dropped at training time, with the reason. */
    public Map<String, String> droppedColumns() {
        return encoder.dropped();
    }
}

package dev.keel.churn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.tribuo.Model;
import org.tribuo.classification.Label;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A model on disk: {@code model.ser} (the Tribuo model, protobuf format) and {@code model.json} (file format,
 * version, training date, data fingerprint, learner, schema, feature means, calibration, band thresholds,
 * cross-validated metrics of both learners and the SHA-256 of model.ser). Both files are written atomically.
 *
 * <p>Loading checks everything: the file format (a model from another Keel version is refused with a message to
 * retrain), that model.ser is the file model.json describes, that the learner, labels and feature list agree, that
 * the date, fingerprint, thresholds and calibration are valid and finite.
 */
public final class ModelFiles {
    /** Version of this file layout; a model written with another is refused. */
    public static final int FORMAT = 2;
    static final String MODEL_FILE = "model.ser";
    static final String META_FILE = "model.json";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelFiles() {
    }

    /** Writes the model into {@code dir} (created if needed). */
    public static void save(ChurnModel model, Path dir) throws IOException {
        FittedModel fitted = model.fitted;
        fitted.requireFinite();
        Files.createDirectories(dir);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        fitted.model().serializeToStream(buffer);
        byte[] modelBytes = buffer.toByteArray();
        ChurnModel.ModelInfo info = model.info;

        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", info.version());
        root.put("trainedAt", info.trainedAt());
        root.put("dataFingerprint", info.dataFingerprint());
        root.put("dataRows", info.dataRows());
        root.put("seed", info.seed());
        root.put("idColumn", info.idColumn());
        root.put("labelColumn", info.labelColumn());
        root.put("positiveValue", info.positiveValue());
        root.put("baseRate", info.baseRate());
        root.put("trainer", fitted.learner().id());
        root.put("trainerSettings", fitted.learner().description());
        root.put("modelFile", MODEL_FILE);
        root.put("modelSha256", CustomerTable.sha256Hex(modelBytes));
        ArrayNode features = root.putArray("features");
        fitted.featureNames().forEach(features::add);
        ArrayNode means = root.putArray("featureMeans");
        for (double m : fitted.featureMeans()) {
            means.add(m);
        }
        root.set("schema", fitted.encoder().toJson());
        ObjectNode calibration = root.putObject("calibration");
        calibration.put("method", "platt");
        calibration.put("a", model.calibrator.a());
        calibration.put("b", model.calibrator.b());
        ObjectNode bands = root.putObject("bandThresholds");
        bands.put("high", model.trainedThresholds.high());
        bands.put("medium", model.trainedThresholds.medium());
        bands.put("highRule", "smallest calibrated out-of-fold probability with churn precision >= "
                + ChurnModel.HIGH_PRECISION_TARGET);
        bands.put("mediumRule", "base churn rate of the training table");
        root.set("cvMetrics", JSON.valueToTree(info.metrics()));
        root.set("comparison", JSON.valueToTree(info.comparison()));

        writeAtomically(dir.resolve(MODEL_FILE), modelBytes);
        writeAtomically(dir.resolve(META_FILE), JSON.writeValueAsBytes(root));
    }

    /**
     * Reads a model written by {@link #save}.
     *
     * @throws IOException naming the problem when a file is missing, from another format, modified, inconsistent or
     *                     not finite
     */
    public static ChurnModel load(Path dir) throws IOException {
        Path metaFile = dir.resolve(META_FILE);
        Path modelFile = dir.resolve(MODEL_FILE);
        JsonNode root = readJson(metaFile);
        int format = root.path("format").asInt(-1);
        if (format != FORMAT) {
            throw new IOException(metaFile + " has model file format " + format + " from another Keel version; this"
                    + " Keel reads format " + FORMAT + ": train the model again (keel churn train)");
        }
        byte[] modelBytes;
        try {
            modelBytes = Files.readAllBytes(modelFile);
        } catch (NoSuchFileException e) {
            throw new IOException("Churn model file not found: " + modelFile, e);
        }
        String expectedSha = text(root, "modelSha256", metaFile);
        String actualSha = CustomerTable.sha256Hex(modelBytes);
        if (!expectedSha.equals(actualSha)) {
            throw new IOException(modelFile + " does not match " + metaFile + " (sha-256 " + actualSha
                    + ", expected " + expectedSha + "); the files come from different models or one was modified");
        }
        Learner learner;
        try {
            learner = Learner.parse(text(root, "trainer", metaFile));
        } catch (IllegalArgumentException e) {
            throw new IOException(metaFile + ": " + e.getMessage(), e);
        }
        Model<Label> model = deserialize(modelBytes, learner, modelFile);
        List<String> listed = new ArrayList<>();
        root.path("features").forEach(f -> listed.add(f.asText()));
        double[] means = finiteArray(root.path("featureMeans"), "featureMeans", metaFile);
        FeatureEncoder encoder = FeatureEncoder.fromJson(root.path("schema"));
        String trainedAt = text(root, "trainedAt", metaFile);
        try {
            Instant.parse(trainedAt);
        } catch (DateTimeParseException e) {
            throw new IOException(metaFile + " has an invalid trainedAt: " + trainedAt, e);
        }
        String fingerprint = text(root, "dataFingerprint", metaFile);
        if (!SHA256.matcher(fingerprint).matches()) {
            throw new IOException(metaFile + " has an invalid dataFingerprint: " + fingerprint);
        }
        JsonNode bands = root.path("bandThresholds");
        JsonNode calibration = root.path("calibration");
        try {
            FittedModel fitted = new FittedModel(learner, model, encoder, means);
            if (!listed.equals(fitted.featureNames())) {
                throw new IOException(metaFile + " lists different features than " + modelFile);
            }
            BandThresholds thresholds = new BandThresholds(probability(bands, "high", metaFile),
                    probability(bands, "medium", metaFile));
            PlattCalibrator platt = new PlattCalibrator(number(calibration, "a", metaFile),
                    number(calibration, "b", metaFile));
            ChurnModel.ModelInfo info = new ChurnModel.ModelInfo(text(root, "version", metaFile), trainedAt,
                    fingerprint, root.path("dataRows").asInt(), root.path("seed").asLong(),
                    root.path("idColumn").asText(""), root.path("labelColumn").asText(""),
                    root.path("positiveValue").asText(""), probability(root, "baseRate", metaFile),
                    object(root, "cvMetrics", metaFile), object(root, "comparison", metaFile));
            return new ChurnModel(fitted, platt, thresholds, thresholds, info);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new IOException("Refusing to load " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Model<Label> deserialize(byte[] bytes, Learner learner, Path file) throws IOException {
        try {
            Model<?> raw = Model.deserializeFromStream(new ByteArrayInputStream(bytes));
            if (!raw.validate(Label.class)) {
                throw new IOException(file + " is not a Tribuo classification model: " + raw.getClass().getName());
            }
            @SuppressWarnings("unchecked")
            Model<Label> model = (Model<Label>) raw;
            if (!learner.accepts(model)) {
                throw new IOException(file + " holds a " + raw.getClass().getSimpleName() + ", not a " + learner.id()
                        + " model as model.json says");
            }
            return model;
        } catch (RuntimeException e) {
            throw new IOException("Cannot read Tribuo model " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new IOException(file + " is not a JSON object");
            }
            return root;
        } catch (NoSuchFileException e) {
            throw new IOException("Churn model metadata not found: " + file, e);
        } catch (JsonProcessingException e) {
            throw new IOException("Churn model metadata is not valid JSON: " + file + ": " + e.getOriginalMessage(), e);
        }
    }

    private static Map<String, Object> object(JsonNode root, String field, Path file) throws IOException {
        JsonNode node = root.get(field);
        if (node == null || !node.isObject()) {
            throw new IOException(file + " has no " + field);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class)));
        return out;
    }

    private static double[] finiteArray(JsonNode node, String field, Path file) throws IOException {
        if (!node.isArray()) {
            throw new IOException(file + " has no " + field);
        }
        double[] out = new double[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw new IOException(file + " has a non-finite " + field + "[" + i + "]");
            }
            out[i] = v.doubleValue();
        }
        return out;
    }

    private static String text(JsonNode root, String field, Path file) throws IOException {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new IOException(file + " has no " + field);
        }
        return v.asText();
    }

    private static double number(JsonNode node, String field, Path file) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw new IOException(file + " has no finite " + field);
        }
        return v.doubleValue();
    }

    private static double probability(JsonNode node, String field, Path file) throws IOException {
        double v = number(node, field, file);
        if (v < 0.0 || v > 1.0) {
            throw new IOException(file + ": " + field + " must be a probability, got " + v);
        }
        return v;
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
}

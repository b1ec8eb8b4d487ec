package dev.keel.churn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Model files: what is written, and every way a model folder can be refused when it is loaded. */
class ModelFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ChurnModel model;

    @BeforeAll
    static void train() throws Exception {
        CustomerTable table = CustomerTable.load(Path.of("src/test/resources/subscribers.csv"), "subscriber_ref",
                "cancelled", "true");
        model = ChurnModel.train(table, new TrainingOptions(3L, Learner.GBT, Map.of(), 3));
    }

    private static Path saved(Path dir) throws Exception {
        model.save(dir);
        return dir.resolve(ModelFiles.META_FILE);
    }

    private static void edit(Path meta, java.util.function.Consumer<ObjectNode> change) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(meta.toFile());
        change.accept(root);
        Files.write(meta, JSON.writeValueAsBytes(root));
    }

    @Test
    void theMetadataHoldsVersionDateFingerprintMetricsAndSchema(@TempDir Path dir) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(saved(dir).toFile());
        assertThat(root.path("format").asInt()).isEqualTo(ModelFiles.FORMAT);
        assertThat(root.path("version").asText()).startsWith("churn-gbt-");
        assertThat(root.path("trainedAt").asText()).isNotBlank();
        assertThat(root.path("dataFingerprint").asText()).hasSize(64);
        assertThat(root.path("cvMetrics").has("rocAuc")).isTrue();
        assertThat(root.path("schema").path("columns").has("plan_tier")).isTrue();
        assertThat(ChurnModel.load(dir).version()).isEqualTo(model.version());
    }

    @Test
    void aModelFromAnotherVersionIsRefusedWithAHint(@TempDir Path dir) throws Exception {
        edit(saved(dir), root -> root.put("format", 1));
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("another Keel version")
                .hasMessageContaining("keel churn train");
    }

    @Test
    void aModifiedModelFileIsRefused(@TempDir Path dir) throws Exception {
        saved(dir);
        Path ser = dir.resolve(ModelFiles.MODEL_FILE);
        byte[] bytes = Files.readAllBytes(ser);
        bytes[bytes.length / 2] ^= 1;
        Files.write(ser, bytes);
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("does not match");
    }

    @Test
    void nonFiniteOrInconsistentMetadataIsRefused(@TempDir Path dir) throws Exception {
        Path meta = saved(dir);
        edit(meta, root -> ((ObjectNode) root.path("calibration")).put("a", Double.NaN));
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("a");

        saved(dir);
        edit(meta, root -> root.withArray("featureMeans").set(0, JSON.getNodeFactory().numberNode(Double.NaN)));
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("featureMeans");

        saved(dir);
        edit(meta, root -> root.put("trainer", "lr"));
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("not a lr model");

        saved(dir);
        edit(meta, root -> ((ObjectNode) root.path("bandThresholds")).put("medium", 0.9));
        assertThatThrownBy(() -> ChurnModel.load(dir)).hasMessageContaining("medium");
    }

    @Test
    void scoringInJavaAgreesWithTribuoForBothLearners() throws Exception {
        CustomerTable table = CustomerTable.load(Path.of("src/test/resources/subscribers.csv"), "subscriber_ref",
                "cancelled", "true");
        ChurnModel linear = ChurnModel.train(table, new TrainingOptions(3L, Learner.LR, Map.of(), 3));
        for (ChurnModel m : java.util.List.of(model, linear)) {
            java.util.List<FeatureEncoder.Encoded> rows = new java.util.ArrayList<>();
            table.ids().forEach(id -> rows.add(m.fitted.encoder().encode(table.record(id).orElseThrow(),
                    FeatureEncoder.Mode.STRICT)));
            double[] ours = m.fitted.rawProbabilities(rows);
            double[] tribuo = m.fitted.tribuoProbabilities(rows);
            for (int i = 0; i < ours.length; i++) {
                assertThat(ours[i]).as(m.learner() + " row " + i).isCloseTo(tribuo[i],
                        org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void thresholdsFromConfigurationOverrideTheTrainedOnes() {
        ChurnModel strict = model.withThresholds(0.99, null);
        assertThat(strict.highThreshold()).isEqualTo(0.99);
        assertThat(strict.mediumThreshold()).isEqualTo(model.mediumThreshold());
        assertThatThrownBy(() -> model.withThresholds(0.1, 0.5)).isInstanceOf(IllegalArgumentException.class);
    }
}

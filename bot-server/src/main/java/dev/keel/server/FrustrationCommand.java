package dev.keel.server;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code keel frustration eval}: the frustration score of each message against its label. */
@Command(name = "frustration", mixinStandardHelpOptions = true, description = "Evaluate the frustration score.")
final class FrustrationCommand {
    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Print precision, recall, F1 (at the escalation threshold) and ROC AUC as JSON.")
    int eval(@Option(names = "--messages", required = true, description = "JSONL lines {\"text\", \"frustrated\": true|false}") Path messages,
             @Option(names = "--threshold", defaultValue = "" + EscalationConfig.DEFAULT_FRUSTRATION,
                     description = "score at or above which a message counts as frustrated (default: ${DEFAULT-VALUE})") double threshold) {
        List<LabelledText> all = LabelledText.read(messages, "frustrated");
        List<Boolean> truth = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        List<String> truthLabels = new ArrayList<>();
        List<String> predicted = new ArrayList<>();
        for (LabelledText t : all) {
            double score = Frustration.of(t.text());
            boolean frustrated = Boolean.parseBoolean(t.label());
            truth.add(frustrated);
            scores.add(score);
            truthLabels.add(Boolean.toString(frustrated));
            predicted.add(Boolean.toString(score >= threshold));
        }
        JsonObject atThreshold = ClassMetrics.forClass(truthLabels, predicted, "true");
        System.out.println(new JsonObject().put("n", all.size()).put("threshold", threshold)
                .put("precision", atThreshold.getDouble("precision")).put("recall", atThreshold.getDouble("recall"))
                .put("f1", atThreshold.getDouble("f1")).put("rocAuc", ClassMetrics.rocAuc(truth, scores)).encodePrettily());
        return 0;
    }
}

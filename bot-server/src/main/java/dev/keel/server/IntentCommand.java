package dev.keel.server;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code keel intent eval} and {@code keel intent train}: both split the labelled messages the
 * same way (stratified, fixed seed), so the model that {@code train} ships is exactly the one whose
 * held-out figures {@code eval} prints.
 */
@Command(name = "intent", mixinStandardHelpOptions = true, description = "Train or evaluate the intent classifier.")
final class IntentCommand {
    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Train on the training part of FILE and print held-out precision, recall and F1 per intent as JSON.")
    int eval(@Option(names = "--messages", required = true, description = "JSONL lines {\"text\", \"intent\"}") Path messages) {
        LabelledText.Split split = LabelledText.split(LabelledText.read(messages, "intent"), IntentClassifier.TEST_SHARE,
                IntentClassifier.SEED);
        long started = System.nanoTime();
        IntentClassifier classifier = IntentClassifier.train(split.train());
        long trainMillis = (System.nanoTime() - started) / 1_000_000;
        JsonObject report = evaluate(split.test(), t -> classifier.read(t).intent());
        report.put("train", split.train().size()).put("trainMillis", trainMillis)
                .put("modelOnly", summary(evaluate(split.test(), t -> classifier.readByModel(t).intent())))
                .put("rulesOnly", summary(evaluate(split.test(), t -> Intent.byRules(t).orElse(Intent.OTHER))));
        System.out.println(report.encodePrettily());
        return 0;
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train on the training part of FILE and save the model (the one shipped is " + IntentClassifier.RESOURCE + ").")
    int train(@Option(names = "--messages", required = true, description = "JSONL lines {\"text\", \"intent\"}") Path messages,
              @Option(names = "--out", required = true, description = "model file to write") Path out) throws Exception {
        LabelledText.Split split = LabelledText.split(LabelledText.read(messages, "intent"), IntentClassifier.TEST_SHARE,
                IntentClassifier.SEED);
        IntentClassifier.train(split.train()).save(out);
        System.out.println("intent model trained on " + split.train().size() + " messages, written to " + out);
        return 0;
    }

    static JsonObject evaluate(List<LabelledText> test, Function<String, Intent> classify) {
        List<String> truth = new ArrayList<>();
        List<String> predicted = new ArrayList<>();
        for (LabelledText t : test) {
            truth.add(t.label());
            predicted.add(classify.apply(t.text()).label());
        }
        return ClassMetrics.report(truth, predicted);
    }

    private static JsonObject summary(JsonObject report) {
        JsonObject perClass = new JsonObject();
        JsonObject classes = report.getJsonObject("classes");
        classes.fieldNames().forEach(c -> perClass.put(c, classes.getJsonObject(c).getDouble("precision") + " / "
                + classes.getJsonObject(c).getDouble("recall")));
        return new JsonObject().put("macroF1", report.getDouble("macroF1")).put("precisionRecall", perClass);
    }
}

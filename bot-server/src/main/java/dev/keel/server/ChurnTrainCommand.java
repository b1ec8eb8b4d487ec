package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.ColumnType;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.Learner;
import dev.keel.churn.TrainingOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code keel churn train}: cross-validates both learners, keeps the better one, saves it, prints the metrics. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train on a customer table (CSV with a header): logistic regression and gradient-boosted trees"
                + " are compared by stratified k-fold cross-validation, the better one is saved; prints the"
                + " cross-validated metrics as JSON.")
final class ChurnTrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, description = "Customer table (CSV with a header).")
    Path data;

    @Option(names = "--id", required = true, description = "Customer id column.")
    String idColumn;

    @Option(names = "--label", required = true, description = "Churn label column.")
    String labelColumn;

    @Option(names = "--positive", required = true, description = "Label value meaning the customer left.")
    String positive;

    @Option(names = "--out", defaultValue = "data/model", description = "Model folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--type", description = "Column type override, COLUMN=numeric|categorical (repeatable).")
    Map<String, String> types = new LinkedHashMap<>();

    @Option(names = "--trainer", defaultValue = "auto",
            description = "auto (compare both), lr or gbt (default: ${DEFAULT-VALUE}).")
    String trainer;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for folds and learners (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;

    @Override
    public Integer call() throws Exception {
        return ChurnCommand.run(spec, () -> {
            Map<String, ColumnType> overrides = new LinkedHashMap<>();
            types.forEach((column, type) -> overrides.put(column, ColumnType.parse(type)));
            Learner learner = trainer.equalsIgnoreCase("auto") ? null : Learner.parse(trainer);
            CustomerTable table = CustomerTable.load(data, idColumn, labelColumn, positive);
            ChurnModel model = ChurnModel.train(table, new TrainingOptions(seed, learner, overrides, folds));
            model.save(out);
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("modelVersion", model.version());
            report.put("chosen", model.learner().id());
            report.put("out", out.toString());
            report.put("n", model.metrics().get("n"));
            report.put("positives", model.metrics().get("positives"));
            report.put("auc", model.metrics().get("rocAuc"));
            report.put("prAuc", model.metrics().get("prAuc"));
            report.put("brier", model.metrics().get("brier"));
            report.put("bandThresholds", Map.of("high", model.highThreshold(), "medium", model.mediumThreshold()));
            report.put("droppedColumns", model.droppedColumns());
            report.put("cv", model.comparison());
            ChurnCommand.print(spec, report);
            return 0;
        });
    }
}

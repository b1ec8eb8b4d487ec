package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.Evaluation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code keel churn eval}: metrics of a saved model on a labelled table. */
@Command(name = "eval", aliases = "evaluate", mixinStandardHelpOptions = true,
        description = "Score a labelled table with a saved model and print ROC AUC, PR AUC, Brier score, log loss,"
                + " precision/recall of the high band and the reliability table as JSON.")
final class ChurnEvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ChurnSourceOptions source;

    @Option(names = "--label", description = "Churn label column (default: the model's).")
    String labelColumn;

    @Option(names = "--positive", description = "Label value meaning the customer left (default: the model's).")
    String positive;

    @Override
    public Integer call() throws Exception {
        return ChurnCommand.run(spec, () -> {
            ChurnModel model = ChurnModel.load(source.modelDir);
            CustomerTable table = CustomerTable.load(source.data, source.idColumn != null ? source.idColumn : model.idColumn(),
                    labelColumn != null ? labelColumn : model.labelColumn(),
                    positive != null ? positive : model.positiveValue());
            ChurnCommand.print(spec, Evaluation.evaluate(model, table));
            return 0;
        });
    }
}

package dev.keel.server;

import dev.keel.churn.ChurnDrivers;
import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.Explanation;
import dev.keel.churn.Factor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code keel churn explain}: why one customer scores as they do, or what drives churn by segment. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "With --customer: the customer's score and every column's contribution, in words. Without:"
                + " the drivers of churn across the table, and by segment with --by COLUMN.")
final class ChurnExplainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ChurnSourceOptions source;

    @Option(names = "--customer", description = "Customer id to explain.")
    String customer;

    @Option(names = "--by", description = "Column to segment the table by (numeric columns are cut into quartiles).")
    String segmentBy;

    @Override
    public Integer call() throws Exception {
        return ChurnCommand.run(spec, () -> {
            ChurnModel model = ChurnModel.load(source.modelDir);
            CustomerTable table = ChurnCommand.tableFor(model, source.data, source.idColumn);
            if (customer == null) {
                ChurnCommand.print(spec, ChurnDrivers.of(model, table, segmentBy));
                return 0;
            }
            Map<String, String> record = table.record(customer).orElseThrow(() ->
                    new IllegalArgumentException("no customer " + customer + " in " + source.data));
            Explanation explanation = model.explain(record);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("customerId", customer);
            out.put("probability", explanation.score().probability());
            out.put("band", explanation.score().band().name());
            out.put("modelVersion", model.version());
            List<Map<String, Object>> factors = new ArrayList<>();
            for (Factor f : explanation.factors()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("column", f.feature());
                row.put("description", f.description());
                row.put("effect", f.contribution() >= 0 ? "raises" : "lowers");
                row.put("contribution", f.contribution());
                factors.add(row);
            }
            out.put("factors", factors);
            ChurnCommand.print(spec, out);
            return 0;
        });
    }
}

package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.ChurnScore;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.SchemaMismatchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.JedisPool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code keel churn score}: scores a table, into Redis when a URL is given. Every row is checked against the schema
 * before anything is written; if Redis fails part-way the command says how many scores were written and exits 1.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score every customer of a table; with --redis write the scores to Redis in pipelined batches."
                + " Prints rows scored and the rate as JSON.")
final class ChurnScoreCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ChurnSourceOptions source;

    @Option(names = "--redis", defaultValue = "${env:REDIS_URL}", description = "Redis to write to (default: REDIS_URL; none: only score).")
    String redisUrl;

    @Option(names = "--ttl-days", defaultValue = "7", description = "Time to live of a cached score (default: ${DEFAULT-VALUE}).")
    long ttlDays;

    @Override
    public Integer call() throws Exception {
        return ChurnCommand.run(spec, () -> {
            ChurnModel model = ChurnModel.load(source.modelDir);
            CustomerTable table = ChurnCommand.tableFor(model, source.data, source.idColumn);
            List<Map<String, String>> rows = new ArrayList<>(table.size());
            for (String id : table.ids()) {
                Map<String, String> row = table.record(id).orElseThrow();
                try {
                    model.check(row);
                } catch (SchemaMismatchException e) {
                    throw new IllegalArgumentException("customer " + id + ": " + e.getMessage(), e);
                }
                rows.add(row);
            }
            long started = System.nanoTime();
            Map<String, Object> report = new java.util.LinkedHashMap<>();
            report.put("rows", table.size());
            report.put("modelVersion", model.version());
            if (redisUrl == null || redisUrl.isBlank()) {
                Map<String, Integer> bands = new TreeMap<>();
                for (ChurnScore s : model.scoreAll(rows)) {
                    bands.merge(s.band().name(), 1, Integer::sum);
                }
                report.put("bands", bands);
                report.put("written", 0);
            } else {
                try (JedisPool pool = ChurnCommand.pool(redisUrl)) {
                    ChurnScores scores = new ChurnScores(new Store(pool), table, model, Duration.ofDays(ttlDays).toSeconds());
                    try {
                        report.put("written", scores.scoreAll());
                    } catch (ChurnScores.ScoringInterruptedException e) {
                        report.put("written", e.written());
                        report.put("complete", false);
                        report.put("error", e.getMessage());
                        ChurnCommand.print(spec, report);
                        return 1;
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            report.put("complete", true);
            report.put("seconds", seconds);
            report.put("rowsPerSecond", table.size() / seconds);
            ChurnCommand.print(spec, report);
            return 0;
        });
    }
}

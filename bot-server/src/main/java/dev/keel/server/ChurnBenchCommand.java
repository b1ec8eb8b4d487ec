package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.JedisPool;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code keel churn bench}: batch scoring into Redis and chat-time lookups, measured against a running Redis.
 *
 * <p>Scores {@code --customers} synthetic customers (the table's rows over and over, with ids {@code bench-TAG-N}) three
 * ways, after a warm-up: the model alone (the customers put in bucket order and all scored into memory, in parallel),
 * the writes alone (those scores written through {@link BatchScoring}), and end to end (ordering, scoring and writing
 * together, as {@code churn score} and the server's start-up do). Then it runs {@code redis-benchmark -P 16 -t set}
 * with the same count on the same Redis when it is on the PATH, printed beside Keel's rates with their ratio, and
 * times {@code --lookups} chat-time lookups of random bench customers (one HGET each). The scores go into bucket keys
 * of the bench's own, {@code keel:churn2:bench-TAG:4096:...}, so that they meet no real customer's score nor another
 * run's; those keys, and redis-benchmark's one key when it was not there before, are removed at the end, also when
 * the bench fails part-way.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark batch scoring into Redis (beside redis-benchmark) and score lookups; prints JSON.")
final class ChurnBenchCommand implements Callable<Integer> {
    /** redis-benchmark's SET writes this one key when it is given no key space ({@code -r}). */
    private static final String REDIS_BENCHMARK_KEY = "key:__rand_int__";
    private static final Pattern RPS = Pattern.compile("SET: ([0-9.]+) requests per second");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "data/model", description = "Model folder (default: ${DEFAULT-VALUE}).")
    Path modelDir;

    @Option(names = "--data", required = true, description = "Customer table whose rows are repeated.")
    Path data;

    @Option(names = "--redis", defaultValue = "${env:REDIS_URL:-redis://127.0.0.1:6379}",
            description = "Redis to benchmark against (default: ${DEFAULT-VALUE}).")
    String redisUrl;

    @Option(names = "--customers", defaultValue = "1000000", description = "Customers to score (default: ${DEFAULT-VALUE}).")
    int customers;

    @Option(names = "--lookups", defaultValue = "20000", description = "Lookups to time (default: ${DEFAULT-VALUE}).")
    int lookups;

    @Option(names = "--workers", description = "Workers scoring and writing at once, each with its own connection"
            + " (default: two per core).")
    Integer workers;

    @Option(names = "--batch", description = "Customers per pipeline (default: the server's).")
    Integer batch;

    @Option(names = "--buckets", description = "Hashes the bench's scores are spread over, to compare counts"
            + " (default: the server's, ${DEFAULT-VALUE}).", defaultValue = "" + ScoreCache.BUCKETS)
    int buckets;

    /** A tag of each run's own, in the bench customers' ids and in the namespace of its bucket keys. */
    private final String tag = "bench-" + Long.toString(System.nanoTime() & 0xfffff, 36);
    private final String prefix = tag + "-";

    @Override
    public Integer call() throws Exception {
        return ChurnCommand.run(spec, () -> {
            ChurnModel model = ChurnModel.load(modelDir);
            CustomerTable table = ChurnCommand.tableFor(model, data, null);
            List<Map<String, String>> rows = new ArrayList<>();
            table.ids().forEach(id -> rows.add(table.record(id).orElseThrow()));
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("modelVersion", model.version());
            report.put("customers", customers);
            int threads = workers != null ? workers : BatchScoring.DEFAULT_WORKERS;
            int batchSize = batch != null ? batch : ChurnScores.BATCH;
            report.put("workers", threads);
            report.put("batch", batchSize);
            report.put("buckets", buckets);
            try (JedisPool pool = ChurnCommand.pool(redisUrl)) {
                Store store = new Store(pool);
                ScoreCache cache = new ScoreCache(store, model, Duration.ofHours(1).toSeconds(),
                        ScoreCache.SCORE_NAMESPACE + tag + ":", buckets);
                report.put("keyPrefix", cache.keyPrefix());
                boolean benchmarkKeyWasThere = store.call(j -> j.exists(REDIS_BENCHMARK_KEY));
                try {
                    report.putAll(batchScoring(model, rows, cache, batchSize, threads));
                    List<String> command = redisBenchmarkCommand(URI.create(redisUrl));
                    redisBenchmark(command).ifPresent(rps -> {
                        report.put("redisBenchmark", String.join(" ", command));
                        report.put("redisBenchmarkSetPerSecond", rps);
                        report.put("keelWriteRateVsRedisBenchmark", (double) report.get("writesPerSecond") / rps);
                        report.put("keelEndToEndVsRedisBenchmark", (double) report.get("endToEndPerSecond") / rps);
                    });
                    report.put("lookupMicros", lookupLatency(new ChurnScores(table, model, cache)));
                } finally {
                    store.call(j -> j.unlink(cache.bucketKeys().toArray(String[]::new)));
                    if (!benchmarkKeyWasThere) {
                        store.call(j -> j.unlink(REDIS_BENCHMARK_KEY));
                    }
                }
            }
            ChurnCommand.print(spec, report);
            return 0;
        });
    }

    private Map<String, Object> batchScoring(ChurnModel model, List<Map<String, String>> rows, ScoreCache cache,
                                             int batchSize, int threads) throws Exception {
        BatchScoring writer = new BatchScoring(cache, batchSize, threads);
        // warm-up (untimed): the model and the write path compiled before anything is measured
        writer.run(Math.min(customers, 50_000), scoring(model, rows, cache, inBucketOrder(cache)), written -> { });

        int batches = (customers + batchSize - 1) / batchSize;
        BatchScoring.Batch[] scored = new BatchScoring.Batch[batches];
        long t0 = System.nanoTime();
        BatchScoring.Producer ordered = scoring(model, rows, cache, inBucketOrder(cache));
        ForkJoinPool cores = new ForkJoinPool(threads);
        try {
            cores.submit(() -> IntStream.range(0, batches).parallel().forEach(b ->
                    scored[b] = ordered.produce(b * batchSize, Math.min(customers, (b + 1) * batchSize)))).get();
        } finally {
            cores.shutdown();
        }
        long t1 = System.nanoTime();
        BatchScoring writesAlone = new BatchScoring(cache, batchSize, threads);
        writesAlone.run(customers, (from, to) -> scored[from / batchSize], written -> { });
        long t2 = System.nanoTime();
        long hashWrites = writesAlone.hashWrites();
        java.util.Arrays.fill(scored, null);
        long t3 = System.nanoTime();
        writer.run(customers, scoring(model, rows, cache, inBucketOrder(cache)), written -> { });
        long t4 = System.nanoTime();

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scoringSeconds", (t1 - t0) / 1e9);
        out.put("writingSeconds", (t2 - t1) / 1e9);
        out.put("endToEndSeconds", (t4 - t3) / 1e9);
        out.put("scoresPerSecond", customers / ((t1 - t0) / 1e9));
        out.put("writesPerSecond", customers / ((t2 - t1) / 1e9));
        out.put("endToEndPerSecond", customers / ((t4 - t3) / 1e9));
        out.put("customersPerHset", (double) customers / hashWrites);
        out.put("valueBytes", cache.encode(model.scoreCoded(rows.get(0)), System.currentTimeMillis()).length());
        return out;
    }

    /** The bench customers {@code 0 .. customers-1} in the order of their buckets. */
    private int[] inBucketOrder(ScoreCache cache) {
        return cache.inBucketOrder(customers, i -> prefix + i);
    }

    /** Scores the bench customers at positions {@code [from, to)} of {@code order}: the table's rows over and over. */
    private BatchScoring.Producer scoring(ChurnModel model, List<Map<String, String>> rows, ScoreCache cache,
                                          int[] order) {
        return (from, to) -> {
            long now = System.currentTimeMillis();
            List<String> ids = new ArrayList<>(to - from);
            List<String> values = new ArrayList<>(to - from);
            for (int position = from; position < to; position++) {
                int i = order[position];
                ids.add(prefix + i);
                values.add(cache.encode(model.scoreCoded(rows.get(i % rows.size())), now));
            }
            return new BatchScoring.Batch(ids, values);
        };
    }

    /** {@code redis-benchmark -P 16 -t set -n customers} against the same Redis. */
    private List<String> redisBenchmarkCommand(URI redis) {
        return List.of("redis-benchmark", "-h", redis.getHost(), "-p",
                Integer.toString(redis.getPort() > 0 ? redis.getPort() : 6379), "-P", "16", "-t", "set", "-n",
                Integer.toString(customers), "-q");
    }

    /** The SET rate redis-benchmark reports, when the tool is installed. */
    private java.util.Optional<Double> redisBenchmark(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Process process;
        try {
            process = pb.start();
        } catch (java.io.IOException notInstalled) {
            return java.util.Optional.empty();
        }
        String output;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            output = String.join("\n", in.lines().toList());
        }
        process.waitFor();
        Matcher m = RPS.matcher(output.replace('\r', '\n'));
        Double last = null;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        return java.util.Optional.ofNullable(last);
    }

    private Map<String, Object> lookupLatency(ChurnScores scores) {
        Random random = new Random(1);
        long[] nanos = new long[lookups];
        for (int i = 0; i < lookups; i++) {
            String id = prefix + random.nextInt(customers);
            long t0 = System.nanoTime();
            scores.lookup(id);
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", lookups);
        out.put("p50", nanos[lookups / 2] / 1e3);
        out.put("p99", nanos[(int) (lookups * 0.99)] / 1e3);
        out.put("mean", Arrays.stream(nanos).average().orElse(0) / 1e3);
        return out;
    }
}

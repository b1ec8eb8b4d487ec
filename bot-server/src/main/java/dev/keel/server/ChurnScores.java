package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CodedScore;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.RiskBand;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Churn risk for the chat path. Scores are cached in Redis ({@link ScoreCache}) with a time to live; a missing,
 * expired or unreadable one is computed from the customer's record and cached again. A record written through the
 * customer API (kept in Redis) wins over the row of the customer table. With no record, or with Redis unreachable,
 * or when scoring fails, the risk is {@link RiskBand#UNKNOWN} (never low) and the chat goes on.
 */
final class ChurnScores {
    private static final Logger LOG = LoggerFactory.getLogger(ChurnScores.class);
    static final int BATCH = 1000;
    /** How often {@link #sweepNext} runs in the server: all 4,096 buckets in about 34 minutes. */
    static final long SWEEP_MILLIS = 500;

    private final CustomerTable customers;
    private final ChurnModel model;
    private final ScoreCache cache;
    /** The bucket {@link #sweepNext} sweeps next; each node starts at a bucket of its own. */
    private final AtomicInteger sweepCursor = new AtomicInteger(ThreadLocalRandom.current().nextInt(ScoreCache.BUCKETS));
    private final AtomicBoolean sweeping = new AtomicBoolean();

    ChurnScores(Store store, CustomerTable customers, ChurnModel model, long ttlSeconds) {
        this(customers, model, new ScoreCache(store, model, ttlSeconds));
    }

    /** Churn risk with scores cached in {@code cache} (the bench's keys of its own). */
    ChurnScores(CustomerTable customers, ChurnModel model, ScoreCache cache) {
        this.customers = customers;
        this.model = model;
        this.cache = cache;
    }

    /**
     * Loads the model saved in {@code modelDir} when it was trained on exactly this table, or trains
     * a new one and saves it there.
     */
    static ChurnModel loadOrTrain(CustomerTable customers, Path modelDir) throws IOException {
        if (Files.exists(modelDir.resolve("model.json"))) {
            try {
                ChurnModel saved = ChurnModel.load(modelDir);
                if (saved.dataFingerprint().equals(customers.fingerprint())) {
                    LOG.info("churn model: loaded {} from {}", saved.version(), modelDir);
                    return saved;
                }
                LOG.info("churn model: the customer table changed since {} was trained; training again", saved.version());
            } catch (IOException | RuntimeException e) {
                LOG.warn("churn model: the saved model in {} cannot be used ({}); training again", modelDir, e.getMessage());
            }
        }
        long started = System.nanoTime();
        ChurnModel model = ChurnModel.train(customers, 42L);
        model.save(modelDir);
        LOG.info("churn model: trained {} on {} customers in {} ms, cross-validated rocAuc={} prAuc={} brier={}",
                model.version(), customers.size(), (System.nanoTime() - started) / 1_000_000,
                model.metrics().get("rocAuc"), model.metrics().get("prAuc"), model.metrics().get("brier"));
        return model;
    }

    /** Scores every customer of the table into Redis in pipelined batches; returns how many. */
    int scoreAll() {
        return scoreAll(written -> { });
    }

    /**
     * Scores every customer of the table into Redis in pipelined batches, several at once ({@link BatchScoring}),
     * using the stored record of a customer where there is one. The customers are taken in bucket order, so that a
     * batch writes the customers of one bucket with one HSET.
     *
     * @param afterBatch told the number of scores Redis has acknowledged so far, after each batch
     * @throws ScoringInterruptedException when Redis fails part-way, with the number acknowledged before
     */
    int scoreAll(IntConsumer afterBatch) {
        List<String> ids = customers.ids();
        int[] order = cache.inBucketOrder(ids.size(), ids::get);
        return new BatchScoring(cache, BATCH, BatchScoring.DEFAULT_WORKERS).run(ids.size(), (from, to) -> {
            List<String> batch = new ArrayList<>(to - from);
            for (int position = from; position < to; position++) {
                batch.add(ids.get(order[position]));
            }
            List<Map<String, String>> stored = cache.records(batch);
            long now = System.currentTimeMillis();
            List<String> scores = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Map<String, String> record = stored.get(i) != null ? stored.get(i)
                        : customers.record(batch.get(i)).orElseThrow();
                scores.add(cache.encode(model.scoreCoded(record), now));
            }
            return new BatchScoring.Batch(batch, scores);
        }, afterBatch);
    }

    /** The customer's risk; never throws. */
    JsonObject lookup(String customerId) {
        if (customerId == null) {
            return unknown("NO_CUSTOMER");
        }
        try {
            Optional<JsonObject> cached = cache.read(customerId);
            if (cached.isPresent()) {
                return cached.get();
            }
            Map<String, String> stored = cache.records(List.of(customerId)).get(0);
            Optional<Map<String, String>> record = stored != null ? Optional.of(stored) : customers.record(customerId);
            if (record.isEmpty()) {
                return unknown("NO_RECORD");
            }
            CodedScore score = model.scoreCoded(record.get());
            String encoded = cache.encode(score, System.currentTimeMillis());
            cache.write(customerId, encoded);
            return cache.toJson(score, encoded);
        } catch (RuntimeException e) {
            LOG.warn("churn score: lookup failed, risk unknown: {}", e.toString());
            return unknown("SCORE_UNAVAILABLE");
        }
    }

    /**
     * Stores a customer's record (from a CRM) and caches its new score, both or neither.
     *
     * @throws dev.keel.churn.SchemaMismatchException naming the column when the record does not fit the model
     */
    JsonObject update(String customerId, Map<String, String> record) {
        CodedScore score = model.scoreCoded(record);
        String encoded = cache.encode(score, System.currentTimeMillis());
        cache.writeRecordAndScore(customerId, record, encoded);
        return cache.toJson(score, encoded);
    }

    /**
     * Removes the expired scores from the next bucket ({@link ScoreCache#sweep}), those of customers nobody scored
     * again, whose memory the bucket's own expiry would not give back while others' scores keep it alive. Returns the
     * scores removed; does nothing while the last sweep still runs (a slow Redis), so that sweeps never pile up.
     */
    int sweepNext() {
        if (!sweeping.compareAndSet(false, true)) {
            return 0;
        }
        try {
            return cache.sweep(sweepCursor.getAndIncrement(), System.currentTimeMillis());
        } finally {
            sweeping.set(false);
        }
    }

    ScoreCache cache() {
        return cache;
    }

    ChurnModel model() {
        return model;
    }

    static RiskBand band(JsonObject score) {
        try {
            return RiskBand.valueOf(score.getString("band", "UNKNOWN"));
        } catch (IllegalArgumentException | ClassCastException e) {
            return RiskBand.UNKNOWN;
        }
    }

    private static JsonObject unknown(String why) {
        return new JsonObject().put("band", RiskBand.UNKNOWN.name()).put("why", why);
    }

    /** Batch scoring stopped part-way; only {@link #written} scores were acknowledged by Redis. */
    static final class ScoringInterruptedException extends RuntimeException {
        private final int written;

        ScoringInterruptedException(int written, int total, Throwable cause) {
            super("scoring stopped after " + written + " of " + total + " customers were written to Redis: "
                    + cause.getMessage(), cause);
            this.written = written;
        }

        int written() {
            return written;
        }
    }
}

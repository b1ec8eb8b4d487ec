package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.ChurnScore;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.Factor;
import dev.keel.churn.RiskBand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.SetParams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Churn risk for the chat path: scores are cached in Redis under {@code keel:churn:{customerId}}
 * with a time to live; a missing one is computed from the customer's record and cached again. With
 * no record, or with Redis unreachable, the risk is {@link RiskBand#UNKNOWN} and the chat goes on.
 */
final class ChurnScores {
    private static final Logger LOG = LoggerFactory.getLogger(ChurnScores.class);
    private static final int BATCH = 1000;

    private final Store store;
    private final CustomerTable customers;
    private final ChurnModel model;
    private final long ttlSeconds;

    ChurnScores(Store store, CustomerTable customers, ChurnModel model, long ttlSeconds) {
        this.store = store;
        this.customers = customers;
        this.model = model;
        this.ttlSeconds = ttlSeconds;
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
        LOG.info("churn model: trained {} on {} customers in {} ms, cross-validated {}", model.version(),
                customers.size(), (System.nanoTime() - started) / 1_000_000, model.metrics());
        return model;
    }

    /** Scores every customer of the table into Redis in pipelined batches; returns how many. */
    int scoreAll() {
        List<String> ids = customers.ids();
        SetParams ttl = SetParams.setParams().ex(ttlSeconds);
        for (int from = 0; from < ids.size(); from += BATCH) {
            List<String> batch = ids.subList(from, Math.min(ids.size(), from + BATCH));
            store.call(j -> {
                Pipeline pipeline = j.pipelined();
                for (String id : batch) {
                    customers.record(id).ifPresent(r -> pipeline.set(key(id), toJson(model.score(r)).encode(), ttl));
                }
                pipeline.sync();
                return null;
            });
        }
        return ids.size();
    }

    /** The customer's risk; never throws. */
    JsonObject lookup(String customerId) {
        if (customerId == null) {
            return unknown("NO_CUSTOMER");
        }
        try {
            String cached = store.call(j -> j.get(key(customerId)));
            if (cached != null) {
                return new JsonObject(cached);
            }
            Optional<Map<String, String>> record = customers.record(customerId);
            if (record.isEmpty()) {
                return unknown("NO_RECORD");
            }
            JsonObject score = toJson(model.score(record.get()));
            store.call(j -> j.set(key(customerId), score.encode(), SetParams.setParams().ex(ttlSeconds)));
            return score;
        } catch (RuntimeException e) {
            LOG.warn("churn score: lookup failed, risk unknown: {}", e.toString());
            return unknown("SCORE_UNAVAILABLE");
        }
    }

    static RiskBand band(JsonObject score) {
        try {
            return RiskBand.valueOf(score.getString("band", "UNKNOWN"));
        } catch (IllegalArgumentException e) {
            return RiskBand.UNKNOWN;
        }
    }

    private static String key(String customerId) {
        return "keel:churn:" + customerId;
    }

    private static JsonObject unknown(String why) {
        return new JsonObject().put("band", RiskBand.UNKNOWN.name()).put("why", why);
    }

    private JsonObject toJson(ChurnScore score) {
        JsonArray factors = new JsonArray();
        for (Factor f : score.factors()) {
            factors.add(new JsonObject().put("feature", f.feature()).put("description", f.description())
                    .put("contribution", f.contribution()));
        }
        return new JsonObject()
                .put("probability", score.probability())
                .put("band", score.band().name())
                .put("factors", factors)
                .put("modelVersion", score.modelVersion())
                .put("scoredAt", System.currentTimeMillis());
    }
}

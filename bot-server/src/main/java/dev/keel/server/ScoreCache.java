package dev.keel.server;

import dev.keel.churn.ChurnScore;
import dev.keel.churn.Factor;
import dev.keel.churn.RiskBand;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Churn scores and customer records in Redis.
 *
 * <p>Keys: {@code keel:churn:{customerId}} holds the score as JSON ({@code probability, band, factors,
 * modelVersion, scoredAt}) with a time to live; {@code keel:customer:{customerId}} holds the customer's record (cells
 * by column, as JSON) written through the customer API, kept without expiry so it outlives restarts (Redis's
 * append-only file). Reading a score is one GET, one round trip.
 *
 * <p>A cached value is only trusted when it is a JSON score of the current model with a finite probability and a
 * known band; anything else at the key (another type, broken JSON, an older model's score) reads as a miss, and
 * the fresh score written over it repairs the key.
 */
final class ScoreCache {
    static final String SCORE_PREFIX = "keel:churn:";
    static final String RECORD_PREFIX = "keel:customer:";

    private final Store store;
    private final String modelVersion;
    private final SetParams ttl;

    ScoreCache(Store store, String modelVersion, long ttlSeconds) {
        this.store = store;
        this.modelVersion = modelVersion;
        this.ttl = SetParams.setParams().ex(ttlSeconds);
    }

    static String scoreKey(String customerId) {
        return SCORE_PREFIX + customerId;
    }

    static String recordKey(String customerId) {
        return RECORD_PREFIX + customerId;
    }

    /** The cached score, when there is a valid one of the current model. */
    Optional<JsonObject> read(String customerId) {
        String cached;
        try {
            cached = store.call(j -> j.get(scoreKey(customerId)));
        } catch (JedisDataException wrongType) {
            return Optional.empty();
        }
        return cached == null ? Optional.empty() : valid(cached);
    }

    private Optional<JsonObject> valid(String cached) {
        try {
            JsonObject score = new JsonObject(cached);
            Object p = score.getValue("probability");
            if (!(p instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0
                    || n.doubleValue() > 1 || !modelVersion.equals(score.getValue("modelVersion"))
                    || ChurnScores.band(score) == RiskBand.UNKNOWN) {
                return Optional.empty();
            }
            return Optional.of(score);
        } catch (DecodeException | ClassCastException e) {
            return Optional.empty();
        }
    }

    /** Caches one score. */
    void write(String customerId, JsonObject score) {
        store.call(j -> j.set(scoreKey(customerId), score.encode(), ttl));
    }

    /** Stores a customer's record and its new score together (MULTI/EXEC: both or neither). */
    void writeRecordAndScore(String customerId, Map<String, String> record, JsonObject score) {
        store.call(j -> {
            try (var tx = j.multi()) {
                tx.set(recordKey(customerId), new JsonObject(new java.util.LinkedHashMap<>(record)).encode());
                tx.set(scoreKey(customerId), score.encode(), ttl);
                tx.exec();
            }
            return null;
        });
    }

    /**
     * Caches many scores, already encoded as JSON, in one pipeline; returns once Redis has acknowledged every write.
     */
    void writeAll(List<String> customerIds, List<String> encodedScores) {
        store.call(j -> {
            Pipeline pipeline = j.pipelined();
            for (int i = 0; i < customerIds.size(); i++) {
                pipeline.set(scoreKey(customerIds.get(i)), encodedScores.get(i), ttl);
            }
            pipeline.sync();
            return null;
        });
    }

    /** The stored records of these customers (one pipeline), null where there is none or it is unreadable. */
    List<Map<String, String>> records(List<String> customerIds) {
        return store.call(j -> {
            Pipeline pipeline = j.pipelined();
            List<Response<String>> responses = new ArrayList<>(customerIds.size());
            for (String id : customerIds) {
                responses.add(pipeline.get(recordKey(id)));
            }
            pipeline.sync();
            List<Map<String, String>> out = new ArrayList<>(customerIds.size());
            for (Response<String> r : responses) {
                out.add(decodeRecord(r));
            }
            return out;
        });
    }

    private static Map<String, String> decodeRecord(Response<String> response) {
        try {
            String json = response.get();
            if (json == null) {
                return null;
            }
            Map<String, String> record = new java.util.LinkedHashMap<>();
            new JsonObject(json).forEach(e -> record.put(e.getKey(), e.getValue() == null ? "" : e.getValue().toString()));
            return record;
        } catch (JedisDataException | DecodeException e) {
            return null;
        }
    }

    /** The score as cached. */
    static JsonObject toJson(ChurnScore score, long scoredAt) {
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
                .put("scoredAt", scoredAt);
    }
}

package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CodedScore;
import dev.keel.churn.Factor;
import dev.keel.churn.FactorCode;
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
 * <p>Keys: {@code keel:churn:{customerId}} holds the score with a time to live, as one short string (see below);
 * {@code keel:customer:{customerId}} holds the customer's record (cells by column, as JSON) written through the
 * customer API, kept without expiry so it outlives restarts (Redis's append-only file). Reading a score is one GET,
 * one round trip; it is handed on as JSON ({@code probability, band, factors, modelVersion, scoredAt}, each factor
 * {@code feature, description, contribution}).
 *
 * <p>A score is stored as {@code 1|probability|band|scoredAt|modelVersion|factors}: format 1; the probability in
 * millionths; {@code L}, {@code M} or {@code H}; milliseconds since the epoch; the model version; and up to five
 * factors {@code column:cell:contribution} separated by commas, where column is the position in the model's schema,
 * cell the customer's value in short form ({@link FactorCode}) and contribution in thousandths of log-odds. The
 * factors are put back into words with the model when the score is read. About 90 bytes instead of a 450-byte JSON
 * document, which is what lets a million scores be written at close to Redis's own pipelined rate.
 *
 * <p>A cached value is only trusted when it is a score of this format and of the current model with a probability
 * in [0, 1] and factors the model can describe; anything else at the key (another type, JSON of an older release,
 * an older model's score, a broken value) reads as a miss, and the fresh score written over it repairs the key.
 */
final class ScoreCache {
    static final String SCORE_PREFIX = "keel:churn:";
    static final String RECORD_PREFIX = "keel:customer:";
    private static final String FORMAT = "1";

    private final Store store;
    private final ChurnModel model;
    private final SetParams ttl;

    ScoreCache(Store store, ChurnModel model, long ttlSeconds) {
        this.store = store;
        this.model = model;
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
        return cached == null ? Optional.empty() : decode(cached);
    }

    /** A stored score as JSON; empty unless it is a valid score of this format and of the current model. */
    Optional<JsonObject> decode(String value) {
        String[] fields = value.split("\\|", -1);
        if (fields.length != 6 || !FORMAT.equals(fields[0]) || !model.version().equals(fields[4])) {
            return Optional.empty();
        }
        try {
            long millionths = Long.parseLong(fields[1]);
            RiskBand band = switch (fields[2]) {
                case "L" -> RiskBand.LOW;
                case "M" -> RiskBand.MEDIUM;
                case "H" -> RiskBand.HIGH;
                default -> RiskBand.UNKNOWN;
            };
            if (millionths < 0 || millionths > 1_000_000 || band == RiskBand.UNKNOWN) {
                return Optional.empty();
            }
            long scoredAt = Long.parseLong(fields[3]);
            JsonArray factors = new JsonArray();
            if (!fields[5].isEmpty()) {
                for (String code : fields[5].split(",", -1)) {
                    String[] parts = code.split(":", -1);
                    if (parts.length != 3) {
                        return Optional.empty();
                    }
                    Factor f = model.factor(new FactorCode(Integer.parseInt(parts[0]), parts[1],
                            Long.parseLong(parts[2]) / 1000.0));
                    factors.add(new JsonObject().put("feature", f.feature()).put("description", f.description())
                            .put("contribution", f.contribution()));
                }
            }
            return Optional.of(new JsonObject()
                    .put("probability", millionths / 1e6)
                    .put("band", band.name())
                    .put("factors", factors)
                    .put("modelVersion", model.version())
                    .put("scoredAt", scoredAt));
        } catch (IllegalArgumentException notAScore) {
            return Optional.empty();
        }
    }

    /**
     * A score in the stored form. A score of band {@code UNKNOWN} (no usable value in the record) is not cached:
     * null.
     */
    String encode(CodedScore score, long scoredAt) {
        char band = switch (score.band()) {
            case LOW -> 'L';
            case MEDIUM -> 'M';
            case HIGH -> 'H';
            case UNKNOWN -> '?';
        };
        if (band == '?') {
            return null;
        }
        StringBuilder out = new StringBuilder(96).append(FORMAT).append('|')
                .append(Math.round(score.probability() * 1e6)).append('|').append(band).append('|')
                .append(scoredAt).append('|').append(model.version()).append('|');
        List<FactorCode> factors = score.factors();
        for (int i = 0; i < factors.size(); i++) {
            FactorCode f = factors.get(i);
            if (i > 0) {
                out.append(',');
            }
            out.append(f.column()).append(':').append(f.cell()).append(':').append(Math.round(f.contribution() * 1000));
        }
        return out.toString();
    }

    /** Caches one encoded score; null (an unknown score, which is not cached) removes the key. */
    void write(String customerId, String encodedScore) {
        store.call(j -> encodedScore != null ? j.set(scoreKey(customerId), encodedScore, ttl)
                : j.unlink(scoreKey(customerId)));
    }

    /** A fresh score as JSON, in exactly the form a read of the cached one gives. */
    JsonObject toJson(CodedScore score, String encoded) {
        if (encoded == null) {
            return new JsonObject().put("probability", score.probability()).put("band", RiskBand.UNKNOWN.name())
                    .put("factors", new JsonArray()).put("modelVersion", model.version());
        }
        return decode(encoded).orElseThrow(() -> new IllegalStateException("a fresh score does not read back"));
    }

    /** Stores a customer's record and its new score together (MULTI/EXEC: both or neither). */
    void writeRecordAndScore(String customerId, Map<String, String> record, String encodedScore) {
        store.call(j -> {
            try (var tx = j.multi()) {
                tx.set(recordKey(customerId), new JsonObject(new java.util.LinkedHashMap<>(record)).encode());
                if (encodedScore != null) {
                    tx.set(scoreKey(customerId), encodedScore, ttl);
                } else {
                    tx.del(scoreKey(customerId));
                }
                tx.exec();
            }
            return null;
        });
    }

    /**
     * Caches many encoded scores in one pipeline of SET with EX; returns once Redis has acknowledged every write.
     * For a null score (unknown) the key is removed, so that no earlier score stands for it.
     *
     * @throws JedisDataException when Redis refused a write (out of memory, a read-only replica): the batch is not
     *                            done, whatever Redis did with the rest of it
     */
    void writeAll(List<String> customerIds, List<String> encodedScores) {
        store.call(j -> {
            Pipeline pipeline = j.pipelined();
            for (int i = 0; i < customerIds.size(); i++) {
                if (encodedScores.get(i) != null) {
                    pipeline.set(scoreKey(customerIds.get(i)), encodedScores.get(i), ttl);
                } else {
                    pipeline.unlink(scoreKey(customerIds.get(i)));
                }
            }
            for (Object reply : pipeline.syncAndReturnAll()) {
                if (reply instanceof JedisDataException refused) {
                    throw refused;
                }
            }
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
}

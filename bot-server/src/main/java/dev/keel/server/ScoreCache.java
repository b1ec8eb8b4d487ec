package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CodedScore;
import dev.keel.churn.Factor;
import dev.keel.churn.FactorCode;
import dev.keel.churn.RiskBand;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.zip.CRC32;

/**
 * Churn scores and customer records in Redis.
 *
 * <p>Scores live in a fixed number of Redis hashes, the buckets, so that one HSET carries many customers: a
 * customer's bucket is the CRC32 of their id in UTF-8 modulo {@link #BUCKETS}; the field is the customer id, the
 * value the score as one short string (see below). The bucket keys are {@code keel:churn2:{buckets}:{bucket}}, the
 * bucket in lower-case hexadecimal of fixed width ({@code keel:churn2:4096:0a3}): {@code churn2} names this layout
 * (the first one, {@code keel:churn:{customerId}}, held one key per customer; a key of that form can never be a
 * bucket key, whatever the customer id) and the bucket count is in the name, so that a change of layout or count
 * writes and reads other keys and never misreads the old ones, which expire on their own.
 * {@code keel:customer:{customerId}} holds the customer's record (cells by column, as JSON) written through the
 * customer API, kept without expiry so it outlives restarts (Redis's append-only file). Reading a score is one HGET,
 * one round trip; it is handed on as JSON ({@code probability, band, factors, modelVersion, scoredAt, expiresAt},
 * each factor {@code feature, description, contribution}).
 *
 * <p>A score is stored as {@code 2|probability|band|scoredAt|expiresAt|modelVersion|factors}: format 2; the
 * probability in millionths; {@code L}, {@code M} or {@code H}; when it was scored and when it expires, in
 * milliseconds since the epoch; the model version; and up to five factors {@code column:cell:contribution} separated
 * by commas, where column is the position in the model's schema, cell the customer's value in short form
 * ({@link FactorCode}) and contribution in thousandths of log-odds. The factors are put back into words with the
 * model when the score is read. About 115 bytes instead of a 450-byte JSON document.
 *
 * <p>Each score carries its own expiry, set by its writer from its TTL: Redis 7.0 and 6.2 cannot expire one field of
 * a hash. An expired score reads as a miss, and the fresh score written on demand replaces it. Every write also sets
 * the bucket's own expiry to the writer's TTL, so that a bucket nobody writes to vanishes; and {@link #sweep} removes
 * the expired scores of a live bucket, those of customers nobody scores again, so that their memory is given back.
 *
 * <p>A cached value is only trusted when it is an unexpired score of this format and of the current model with a
 * probability in [0, 1] and factors the model can describe; anything else (JSON or an older format of earlier
 * releases, an older model's score, a broken value, a key of another type at the bucket) reads as a miss, and the
 * fresh score written over it repairs the field or, for a key of another type, replaces the key.
 */
final class ScoreCache {
    /** How many buckets the scores are spread over; part of the stored format (it is in the key names). */
    static final int BUCKETS = 4096;
    /** The score keys of this layout start with this, followed by the bucket count and the bucket. */
    static final String SCORE_NAMESPACE = "keel:churn2:";
    static final String RECORD_PREFIX = "keel:customer:";
    private static final String FORMAT = "2";
    private static final String WRONG_TYPE = "WRONGTYPE";

    /**
     * Writes one customer's score (ARGV[3]; empty: remove it) into their bucket (KEYS[1]) and sets the bucket's expiry
     * (ARGV[1] seconds), with the customer's record (ARGV[4]) at KEYS[2] when given. A key of another type at the
     * bucket is replaced first. A script runs whole, so this is both or neither and one round trip.
     */
    private static final String WRITE_ONE = """
            local kind = redis.call('TYPE', KEYS[1])['ok']
            if kind ~= 'hash' and kind ~= 'none' then
              redis.call('UNLINK', KEYS[1])
            end
            if KEYS[2] then
              redis.call('SET', KEYS[2], ARGV[4])
            end
            if ARGV[3] == '' then
              redis.call('HDEL', KEYS[1], ARGV[2])
            else
              redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
            end
            redis.call('EXPIRE', KEYS[1], ARGV[1])
            return 1
            """;
    /** Removes KEYS[1] if it holds anything but a hash. */
    private static final String REPLACE_FOREIGN = """
            local kind = redis.call('TYPE', KEYS[1])['ok']
            if kind ~= 'hash' and kind ~= 'none' then
              return redis.call('UNLINK', KEYS[1])
            end
            return 0
            """;
    /** Removes each field ARGV[i] of the hash KEYS[1] that still holds ARGV[i + 1]; returns how many. */
    private static final String REMOVE_UNCHANGED = """
            local removed = 0
            for i = 1, #ARGV, 2 do
              if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
                removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
              end
            end
            return removed
            """;

    private final Store store;
    private final ChurnModel model;
    private final long ttlSeconds;
    private final String keyPrefix;
    private final String[] bucketKeys;

    /** The cache of the real customers' scores, with {@link #BUCKETS} buckets. */
    ScoreCache(Store store, ChurnModel model, long ttlSeconds) {
        this(store, model, ttlSeconds, SCORE_NAMESPACE, BUCKETS);
    }

    /**
     * A cache whose bucket keys are {@code namespace + buckets + ":" + bucket}: the bench's scores go into keys of
     * their own this way.
     */
    ScoreCache(Store store, ChurnModel model, long ttlSeconds, String namespace, int buckets) {
        if (ttlSeconds < 1 || buckets < 1) {
            throw new IllegalArgumentException("the TTL and the bucket count must be at least 1");
        }
        this.store = store;
        this.model = model;
        this.ttlSeconds = ttlSeconds;
        this.keyPrefix = namespace + buckets + ":";
        this.bucketKeys = new String[buckets];
        for (int b = 0; b < buckets; b++) {
            bucketKeys[b] = keyPrefix + hex(b, buckets);
        }
    }

    /** A bucket in lower-case hexadecimal, as many digits as the highest bucket has. */
    private static String hex(int bucket, int buckets) {
        return String.format("%0" + Integer.toHexString(buckets - 1).length() + "x", bucket);
    }

    /** The bucket of a customer among {@code buckets}: CRC32 of the id in UTF-8, modulo the count. */
    private static int bucket(String customerId, int buckets) {
        CRC32 crc = new CRC32();
        crc.update(customerId.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % buckets);
    }

    /** The key of the real bucket that holds this customer's score (field: the customer id). */
    static String bucketKey(String customerId) {
        return SCORE_NAMESPACE + BUCKETS + ":" + hex(bucket(customerId, BUCKETS), BUCKETS);
    }

    static String recordKey(String customerId) {
        return RECORD_PREFIX + customerId;
    }

    /** The key of this cache's bucket holding the customer's score. */
    private String keyOf(String customerId) {
        return bucketKeys[bucket(customerId, bucketKeys.length)];
    }

    /** Every bucket key of this cache, whether it exists or not. */
    List<String> bucketKeys() {
        return List.of(bucketKeys);
    }

    /** What the bucket keys of this cache start with. */
    String keyPrefix() {
        return keyPrefix;
    }

    /**
     * The customers {@code 0 .. count-1} ordered by bucket (a counting sort; in index order within a bucket), so that
     * batches taken in this order write many customers of one bucket with one HSET.
     */
    int[] inBucketOrder(int count, IntFunction<String> customerId) {
        int buckets = bucketKeys.length;
        int[] bucketOf = new int[count];
        int[] next = new int[buckets + 1];
        for (int i = 0; i < count; i++) {
            bucketOf[i] = bucket(customerId.apply(i), buckets);
            next[bucketOf[i] + 1]++;
        }
        for (int b = 0; b < buckets; b++) {
            next[b + 1] += next[b];
        }
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[next[bucketOf[i]]++] = i;
        }
        return order;
    }

    /**
     * The cached score, when there is a valid one of the current model that has not expired: one HGET. A key of
     * another type at the bucket reads as a miss.
     */
    Optional<JsonObject> read(String customerId) {
        String cached;
        try {
            cached = store.call(j -> j.hget(keyOf(customerId), customerId));
        } catch (JedisDataException wrongType) {
            return Optional.empty();
        }
        long now = System.currentTimeMillis();
        return cached == null ? Optional.empty() : decode(cached).filter(score -> score.getLong("expiresAt") > now);
    }

    /**
     * When a stored score expires (milliseconds since the epoch), as its writer set it; 0 for a value that is not a
     * score of this format, which is as good as expired. Read without the model, so that {@link #sweep} keeps the
     * unexpired scores of another model version (other nodes during a rolling deploy).
     */
    static long expiresAt(String value) {
        String[] fields = value.split("\\|", 6);
        if (fields.length < 6 || !FORMAT.equals(fields[0])) {
            return 0;
        }
        try {
            return Long.parseLong(fields[4]);
        } catch (NumberFormatException notAScore) {
            return 0;
        }
    }

    /** A stored score as JSON; empty unless it is a valid score of this format and of the current model. */
    Optional<JsonObject> decode(String value) {
        String[] fields = value.split("\\|", -1);
        if (fields.length != 7 || !FORMAT.equals(fields[0]) || !model.version().equals(fields[5])) {
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
            long expiresAt = Long.parseLong(fields[4]);
            JsonArray factors = new JsonArray();
            if (!fields[6].isEmpty()) {
                for (String code : fields[6].split(",", -1)) {
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
                    .put("scoredAt", scoredAt)
                    .put("expiresAt", expiresAt));
        } catch (IllegalArgumentException notAScore) {
            return Optional.empty();
        }
    }

    /**
     * A score in the stored form, expiring this cache's TTL after {@code scoredAt}. A score of band {@code UNKNOWN}
     * (no usable value in the record) is not cached: null.
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
                .append(scoredAt).append('|').append(scoredAt + ttlSeconds * 1000).append('|')
                .append(model.version()).append('|');
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

    /**
     * Caches one encoded score and sets its bucket's expiry, in one round trip ({@link #WRITE_ONE}); null (an unknown
     * score, which is not cached) removes the customer's field, so that no earlier score stands for it.
     */
    void write(String customerId, String encodedScore) {
        store.call(j -> j.eval(WRITE_ONE, List.of(keyOf(customerId)),
                List.of(Long.toString(ttlSeconds), customerId, encodedScore == null ? "" : encodedScore)));
    }

    /** A fresh score as JSON, in exactly the form a read of the cached one gives. */
    JsonObject toJson(CodedScore score, String encoded) {
        if (encoded == null) {
            return new JsonObject().put("probability", score.probability()).put("band", RiskBand.UNKNOWN.name())
                    .put("factors", new JsonArray()).put("modelVersion", model.version());
        }
        return decode(encoded).orElseThrow(() -> new IllegalStateException("a fresh score does not read back"));
    }

    /** Stores a customer's record and its new score together, both or neither ({@link #WRITE_ONE}). */
    void writeRecordAndScore(String customerId, Map<String, String> record, String encodedScore) {
        String json = new JsonObject(new LinkedHashMap<>(record)).encode();
        store.call(j -> j.eval(WRITE_ONE, List.of(keyOf(customerId), recordKey(customerId)),
                List.of(Long.toString(ttlSeconds), customerId, encodedScore == null ? "" : encodedScore, json)));
    }

    /**
     * Caches many encoded scores in one pipeline: one HSET per run of consecutive customers of the same bucket (the
     * fields of unknown scores, null, removed with HDEL so that no earlier score stands for them), then one EXPIRE per
     * bucket touched. Returns once Redis has acknowledged every command, with the number of HSETs sent. Customers in
     * bucket order ({@link #inBucketOrder}) take the fewest commands. A key of another type at a bucket (never one of
     * this layout's) is replaced ({@link #REPLACE_FOREIGN}) and the batch sent once more; its commands can be repeated.
     *
     * @throws JedisDataException when Redis refused a command (out of memory, a read-only replica, a bucket key that
     *                            holds another type again when the batch is sent once more): the batch is not done,
     *                            whatever Redis did with the rest of it
     */
    int writeAll(List<String> customerIds, List<String> encodedScores) {
        return store.call(j -> {
            Sent sent = send(j, customerIds, encodedScores);
            if (!sent.foreignKeys().isEmpty()) {
                for (String key : sent.foreignKeys()) {
                    j.eval(REPLACE_FOREIGN, List.of(key), List.of());
                }
                sent = send(j, customerIds, encodedScores);
            }
            if (sent.refused() != null) {
                throw sent.refused();
            }
            if (!sent.foreignKeys().isEmpty()) {
                throw new JedisDataException(WRONG_TYPE + " the bucket keys " + sent.foreignKeys()
                        + " hold another type again, written by something other than Keel");
            }
            return sent.hashWrites();
        });
    }

    /**
     * What one pipeline of {@link #writeAll} came to: the HSETs sent, the bucket keys that turned out to hold another
     * type, and the first other refusal (null: none).
     */
    private record Sent(int hashWrites, Set<String> foreignKeys, JedisDataException refused) {}

    private Sent send(Jedis j, List<String> customerIds, List<String> encodedScores) {
        Pipeline pipeline = j.pipelined();
        List<String> keyOfCommand = new ArrayList<>();
        BitSet touched = new BitSet(bucketKeys.length);
        Map<String, String> scored = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        int hashWrites = 0;
        int run = -1;
        for (int i = 0; i < customerIds.size(); i++) {
            int bucket = bucket(customerIds.get(i), bucketKeys.length);
            if (bucket != run) {
                hashWrites += sendRun(pipeline, keyOfCommand, run, scored, unknown);
                scored = new HashMap<>();
                unknown = new ArrayList<>();
                run = bucket;
                touched.set(bucket);
            }
            if (encodedScores.get(i) != null) {
                scored.put(customerIds.get(i), encodedScores.get(i));
            } else {
                unknown.add(customerIds.get(i));
            }
        }
        hashWrites += sendRun(pipeline, keyOfCommand, run, scored, unknown);
        touched.stream().forEach(bucket -> {
            pipeline.expire(bucketKeys[bucket], ttlSeconds);
            keyOfCommand.add(bucketKeys[bucket]);
        });
        Set<String> foreign = new LinkedHashSet<>();
        JedisDataException refused = null;
        List<Object> replies = pipeline.syncAndReturnAll();
        for (int c = 0; c < replies.size(); c++) {
            if (replies.get(c) instanceof JedisDataException e) {
                if (isWrongType(e)) {
                    foreign.add(keyOfCommand.get(c));
                } else if (refused == null) {
                    refused = e;
                }
            }
        }
        return new Sent(hashWrites, foreign, refused);
    }

    private static boolean isWrongType(JedisDataException e) {
        return e.getMessage() != null && e.getMessage().startsWith(WRONG_TYPE);
    }

    /**
     * Queues the HSET and the HDEL of one run of a bucket's customers, where there is any, noting the key of each
     * command queued; returns the HSETs queued.
     */
    private int sendRun(Pipeline pipeline, List<String> keyOfCommand, int bucket, Map<String, String> scored,
                        List<String> unknown) {
        if (!unknown.isEmpty()) {
            pipeline.hdel(bucketKeys[bucket], unknown.toArray(String[]::new));
            keyOfCommand.add(bucketKeys[bucket]);
        }
        if (scored.isEmpty()) {
            return 0;
        }
        pipeline.hset(bucketKeys[bucket], scored);
        keyOfCommand.add(bucketKeys[bucket]);
        return 1;
    }

    /**
     * Removes the expired scores, and values that are no score of this format, from bucket {@code bucket} (counted
     * modulo the bucket count): one HGETALL, then one script that removes a field only if it still holds what was
     * read, so that a score written meanwhile stays. A key of another type is left to the next write. Returns the
     * fields removed.
     */
    int sweep(int bucket, long now) {
        String key = bucketKeys[Math.floorMod(bucket, bucketKeys.length)];
        return store.call(j -> {
            Map<String, String> fields;
            try {
                fields = j.hgetAll(key);
            } catch (JedisDataException e) {
                if (isWrongType(e)) {
                    return 0;
                }
                throw e;
            }
            List<String> stale = new ArrayList<>();
            fields.forEach((customerId, value) -> {
                if (expiresAt(value) <= now) {
                    stale.add(customerId);
                    stale.add(value);
                }
            });
            return stale.isEmpty() ? 0 : ((Long) j.eval(REMOVE_UNCHANGED, List.of(key), stale)).intValue();
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
            Map<String, String> record = new LinkedHashMap<>();
            new JsonObject(json).forEach(e -> record.put(e.getKey(), e.getValue() == null ? "" : e.getValue().toString()));
            return record;
        } catch (JedisDataException | DecodeException e) {
            return null;
        }
    }
}

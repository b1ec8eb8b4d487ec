package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import dev.keel.churn.Learner;
import dev.keel.churn.TrainingOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The score cache against a real Redis on its own port, stopped and restarted: the buckets the batch writes, expiry
 * of a bucket and of one score in a live bucket, values of the wrong type or shape, Redis going away during a lookup
 * and during batch scoring, and no connection left borrowed.
 */
class ChurnScoresRedisTest {
    private static ChurnModel model;
    private static CustomerTable table;
    private static int port;
    private RedisServer redis;
    private JedisPool pool;
    private ChurnScores scores;

    @BeforeAll
    static void train() throws Exception {
        Path subscribers = Path.of(System.getProperty("keel.root", ".."), "churn/src/test/resources/subscribers.csv");
        model = ChurnModel.train(CustomerTable.load(subscribers, "subscriber_ref", "cancelled", "true"),
                new TrainingOptions(5L, Learner.GBT, Map.of(), 3));
        // the same customers twenty times over (12,000 rows, twelve batches, more than the workers), as a table to score
        List<String> lines = Files.readAllLines(subscribers);
        StringBuilder big = new StringBuilder(lines.get(0)).append('\n');
        for (int copy = 0; copy < 20; copy++) {
            for (String line : lines.subList(1, lines.size())) {
                big.append(line.replaceFirst("^S-", "S" + copy + "-")).append('\n');
            }
        }
        Path csv = Files.createTempFile("subscribers-x20", ".csv");
        Files.writeString(csv, big);
        table = CustomerTable.loadForScoring(csv, "subscriber_ref", "cancelled", null);
        port = freePort();
    }

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.newRedisServer().bind("127.0.0.1").port(port).setting("save \"\"")
                .setting("appendonly no").build();
        redis.start();
        pool = ChurnCommand.pool("redis://127.0.0.1:" + port);
        scores = new ChurnScores(new Store(pool), table, model, 3600);
    }

    @AfterEach
    void stop() throws IOException {
        pool.close();
        if (redis.isActive()) {
            redis.stop();
        }
    }

    private Jedis jedis() {
        return new Jedis(URI.create("redis://127.0.0.1:" + port));
    }

    @Test
    void anExpiredScoreIsComputedAgainOnDemandAndCachedWithATtl() throws Exception {
        ChurnScores shortLived = new ChurnScores(new Store(pool), table, model, 1);
        assertThat(shortLived.scoreAll()).isEqualTo(table.size());
        String key = ScoreCache.bucketKey("S1-0003");
        try (Jedis j = jedis()) {
            // nobody writes to the bucket any more: it vanishes a second after the batch wrote it
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (j.exists(key) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(j.exists(key)).isFalse();
            JsonObject risk = shortLived.lookup("S1-0003");
            assertThat(ChurnScores.band(risk)).isNotEqualTo(dev.keel.churn.RiskBand.UNKNOWN);
            assertThat(risk.getString("modelVersion")).isEqualTo(model.version());
            assertThat(j.hget(key, "S1-0003")).startsWith("2|");
            assertThat(j.pttl(key)).isBetween(1L, 1000L);
        }
        assertThat(ChurnScores.band(shortLived.lookup("NOBODY"))).isEqualTo(dev.keel.churn.RiskBand.UNKNOWN);
    }

    @Test
    void aScoreOlderThanTheTtlIsAMissEvenWhileItsBucketLives() {
        assertThat(scores.scoreAll()).isEqualTo(table.size());
        String key = ScoreCache.bucketKey("S5-0004");
        Map<String, String> record = table.record("S5-0004").orElseThrow();
        long now = System.currentTimeMillis();
        try (Jedis j = jedis()) {
            // scored just under an hour ago (the TTL): still a hit
            long recent = now - Duration.ofMinutes(59).toMillis();
            j.hset(key, "S5-0004", scores.cache().encode(model.scoreCoded(record), recent));
            assertThat(scores.lookup("S5-0004").getLong("scoredAt")).isEqualTo(recent);
            // scored just over an hour ago: a miss, though its bucket lives on (the other customers' scores keep it)
            long expired = now - Duration.ofMinutes(61).toMillis();
            String old = scores.cache().encode(model.scoreCoded(record), expired);
            j.hset(key, "S5-0004", old);
            assertThat(j.ttl(key)).isBetween(1L, 3600L);
            JsonObject risk = scores.lookup("S5-0004");
            assertThat(risk.getLong("scoredAt")).isGreaterThanOrEqualTo(now);
            assertThat(risk.getString("band")).isIn("LOW", "MEDIUM", "HIGH");
            assertThat(j.hget(key, "S5-0004")).isNotEqualTo(old).contains("|" + risk.getLong("scoredAt") + "|");
        }
    }

    @Test
    void theBatchWritesABucketsCustomersWithOneHsetEachReadableAndTheBucketHasATtl() {
        Map<String, Long> calls = commandsRunAfter(() -> assertThat(scores.scoreAll()).isEqualTo(table.size()));
        // customers in bucket order: one HSET and one EXPIRE per bucket of each batch, not one command per customer
        int batches = (table.size() + ChurnScores.BATCH - 1) / ChurnScores.BATCH;
        assertThat(calls.get("hset")).isLessThanOrEqualTo(ScoreCache.BUCKETS + batches - 1L)
                .isEqualTo(calls.get("expire"));
        assertThat(calls).doesNotContainKeys("set", "hdel");
        try (Jedis j = jedis()) {
            List<String> keys = scores.cache().bucketKeys();
            long fields = 0;
            String fullest = keys.get(0);
            for (String key : keys) {
                fields += j.hlen(key);
                fullest = j.hlen(key) > j.hlen(fullest) ? key : fullest;
            }
            assertThat(fields).isEqualTo(table.size());
            assertThat(j.ttl(fullest)).isBetween(1L, 3600L);
            Map<String, String> bucket = j.hgetAll(fullest);
            assertThat(bucket).hasSizeGreaterThan(3);
            for (Map.Entry<String, String> field : bucket.entrySet()) {
                assertThat(ScoreCache.bucketKey(field.getKey())).isEqualTo(fullest);
                JsonObject cached = scores.cache().decode(field.getValue()).orElseThrow();
                // a hit: the batch's score, not one computed again
                assertThat(scores.lookup(field.getKey())).isEqualTo(cached);
            }
            assertThat(j.hgetAll(fullest)).isEqualTo(bucket);
        }
    }

    @Test
    void wrongTypesAndBrokenValuesAtTheKeyAreRepairedAndLeakNoConnection() throws Exception {
        String key = ScoreCache.bucketKey("S0-0001");
        try (Jedis j = jedis()) {
            for (int i = 0; i < 100; i++) {
                j.del(key);
                j.set(key, "not a bucket");
                assertThat(scores.lookup("S0-0001").getString("modelVersion")).isEqualTo(model.version());
            }
            assertThat(j.type(key)).isEqualTo("hash");
            assertThat(j.ttl(key)).isBetween(1L, 3600L);
            j.hset(key, "S0-0001", "{not json");
            assertThat(scores.lookup("S0-0001").getDouble("probability")).isBetween(0.0, 1.0);
            j.hset(key, "S0-0001", new JsonObject().put("probability", "NaN").put("band", "LOW").encode());
            assertThat(scores.lookup("S0-0001").getString("modelVersion")).isEqualTo(model.version());
            assertThat(j.hget(key, "S0-0001")).startsWith("2|");
            // the same for a record and its score written together through the customer API
            j.set(key, "not a bucket");
            JsonObject updated = scores.update("S0-0001", table.record("S0-0001").orElseThrow());
            assertThat(j.type(key)).isEqualTo("hash");
            assertThat(scores.lookup("S0-0001")).isEqualTo(updated);
        }
        ExecutorService workers = Executors.newFixedThreadPool(50);
        try {
            List<Future<JsonObject>> results = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                String id = table.ids().get(i);
                results.add(workers.submit(() -> scores.lookup(id)));
            }
            for (Future<JsonObject> r : results) {
                assertThat(r.get().getString("modelVersion")).isEqualTo(model.version());
            }
        } finally {
            workers.shutdown();
        }
        assertThat(pool.getNumActive()).isZero();
    }

    @Test
    void withRedisDownTheRiskIsUnknownAndLookupsRecoverWhenItIsBack() throws Exception {
        scores.lookup("S2-0010");
        redis.stop();
        JsonObject during = scores.lookup("S2-0010");
        assertThat(during.getString("band")).isEqualTo("UNKNOWN");
        assertThat(during.getString("why")).isEqualTo("SCORE_UNAVAILABLE");
        redis.start();
        JsonObject after = scores.lookup("S2-0010");
        assertThat(after.getString("modelVersion")).isEqualTo(model.version());
        try (Jedis j = jedis()) {
            assertThat(j.ttl(ScoreCache.bucketKey("S2-0010"))).isPositive();
        }
        assertThat(pool.getNumActive()).isZero();
    }

    @Test
    void redisGoingAwayDuringBatchScoringIsAClearFailureThatClaimsOnlyWhatWasWritten() {
        assertThatThrownBy(() -> scores.scoreAll(written -> {
            try {
                redis.stop();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        })).isInstanceOfSatisfying(ChurnScores.ScoringInterruptedException.class, e -> {
            // batches already on the wire when Redis went away may have been acknowledged too
            assertThat(e.written()).isPositive().isLessThan(table.size());
            assertThat(e.getMessage()).contains("after " + e.written() + " of " + table.size());
        });
    }

    @Test
    void redisRefusingWritesPartWayIsAFailureThatClaimsNoMoreThanRedisHolds() {
        assertThatThrownBy(() -> scores.scoreAll(written -> {
            try (Jedis j = jedis()) {
                j.configSet("maxmemory", "1");
            }
        })).isInstanceOfSatisfying(ChurnScores.ScoringInterruptedException.class, e -> {
            assertThat(e.written()).isPositive().isLessThan(table.size());
            assertThat(e.getMessage()).contains("OOM");
            try (Jedis j = jedis()) {
                j.configSet("maxmemory", "0");
                long cached = 0;
                for (String key : scores.cache().bucketKeys()) {
                    cached += j.hlen(key);
                }
                assertThat(cached).isGreaterThanOrEqualTo(e.written());
            }
        });
    }

    @Test
    void aScoreIsStoredAsOneShortStringAndReadBackWithItsFactorsInWords() {
        assertThat(scores.scoreAll()).isEqualTo(table.size());
        String key = ScoreCache.bucketKey("S3-0007");
        try (Jedis j = jedis()) {
            String stored = j.hget(key, "S3-0007");
            assertThat(stored).startsWith("2|").contains("|" + model.version() + "|");
            assertThat(stored.length()).isLessThan(160);
            assertThat(j.ttl(key)).isBetween(1L, 3600L);
            JsonObject risk = scores.lookup("S3-0007");
            assertThat(risk.getDouble("probability")).isBetween(0.0, 1.0);
            assertThat(risk.getString("band")).isIn("LOW", "MEDIUM", "HIGH");
            assertThat(risk.getLong("scoredAt")).isPositive();
            assertThat(risk.getJsonArray("factors")).isNotEmpty().allSatisfy(f -> {
                assertThat(((JsonObject) f).getString("description")).isNotBlank();
                assertThat(((JsonObject) f).getString("feature")).isIn(model.columns().toArray());
            });
            assertThat(j.hget(key, "S3-0007")).isEqualTo(stored);
            // a score in JSON, as earlier releases stored it, reads as a miss and is rewritten in the short form
            j.hset(key, "S3-0007", new JsonObject().put("probability", 0.5).put("band", "HIGH")
                    .put("modelVersion", model.version()).put("factors", new io.vertx.core.json.JsonArray())
                    .put("scoredAt", System.currentTimeMillis()).encode());
            assertThat(scores.lookup("S3-0007").getString("band")).isIn("LOW", "MEDIUM", "HIGH");
            assertThat(j.hget(key, "S3-0007")).startsWith("2|");
            // so does a score of format 1, which had no expiry of its own
            String formatOne = "1|500000|H|" + System.currentTimeMillis() + "|" + model.version() + "|";
            j.hset(key, "S3-0007", formatOne);
            assertThat(scores.lookup("S3-0007").getString("band")).isIn("LOW", "MEDIUM", "HIGH");
            assertThat(j.hget(key, "S3-0007")).startsWith("2|");
        }
    }

    @Test
    void aScoreLivesAsLongAsItsWriterSaidEvenInABucketOthersKeepAlive() throws Exception {
        assertThat(scores.scoreAll()).isEqualTo(table.size());
        String key = ScoreCache.bucketKey("S6-0005");
        // another writer (as `churn score --ttl-days`) gives this one score a life of three seconds
        ScoreCache shortLived = new ScoreCache(new Store(pool), model, 3);
        Map<String, String> record = table.record("S6-0005").orElseThrow();
        long scoredAt = System.currentTimeMillis();
        String brief = shortLived.encode(model.scoreCoded(record), scoredAt);
        shortLived.write("S6-0005", brief);
        assertThat(scores.lookup("S6-0005").getLong("expiresAt")).isEqualTo(scoredAt + 3000);
        try (Jedis j = jedis()) {
            // the server writes another customer of the bucket, which keeps the bucket alive for its hour
            String neighbour = j.hkeys(key).stream().filter(id -> !id.equals("S6-0005")).findFirst().orElseThrow();
            scores.update(neighbour, table.record(neighbour).orElseThrow());
            while (System.currentTimeMillis() <= scoredAt + 3000) {
                Thread.sleep(50);
            }
            // the reader's own TTL of an hour does not lengthen the three-second score
            assertThat(j.hget(key, "S6-0005")).isEqualTo(brief);
            JsonObject risk = scores.lookup("S6-0005");
            assertThat(risk.getLong("scoredAt")).isGreaterThan(scoredAt);
            assertThat(risk.getLong("expiresAt")).isEqualTo(risk.getLong("scoredAt") + 3_600_000);
            assertThat(j.hget(key, "S6-0005")).isNotEqualTo(brief);
        }
    }

    @Test
    void aSweepGivesBackTheExpiredScoresOfALiveBucketAndKeepsTheFreshOnes() {
        assertThat(scores.scoreAll()).isEqualTo(table.size());
        String key = ScoreCache.bucketKey("S7-0001");
        int bucket = scores.cache().bucketKeys().indexOf(key);
        long now = System.currentTimeMillis();
        try (Jedis j = jedis()) {
            Map<String, String> before = j.hgetAll(key);
            // a customer who left the table two hours ago, and values that are no score of this format
            j.hset(key, "LEFT-0001", scores.cache().encode(model.scoreCoded(table.record("S7-0001").orElseThrow()),
                    now - Duration.ofHours(2).toMillis()));
            j.hset(key, "BROKEN-0001", "{not a score");
            j.hset(key, "FORMAT1-0001", "1|500000|H|" + now + "|" + model.version() + "|");
            assertThat(scores.cache().sweep(bucket, now)).isEqualTo(3);
            assertThat(j.hgetAll(key)).isEqualTo(before);
            // nothing left to remove; a key of another type is left to the next write
            assertThat(scores.cache().sweep(bucket, now)).isZero();
            j.del(key);
            j.set(key, "not a bucket");
            assertThat(scores.cache().sweep(bucket, now)).isZero();
            // all of this bucket's scores are stale an hour and a bit later
            j.del(key);
            scores.scoreAll();
            assertThat(scores.cache().sweep(bucket, now + Duration.ofMinutes(61).toMillis()))
                    .isEqualTo(before.size());
            assertThat(j.exists(key)).isFalse();
        }
        assertThat(pool.getNumActive()).isZero();
    }

    @Test
    void batchScoringReplacesAKeyOfAnotherTypeAtABucket() {
        String key = ScoreCache.bucketKey("S8-0002");
        try (Jedis j = jedis()) {
            j.set(key, "not a bucket");
            assertThat(scores.scoreAll()).isEqualTo(table.size());
            assertThat(j.type(key)).isEqualTo("hash");
            assertThat(j.ttl(key)).isBetween(1L, 3600L);
            assertThat(j.hget(key, "S8-0002")).startsWith("2|");
        }
        assertThat(scores.lookup("S8-0002").getString("band")).isIn("LOW", "MEDIUM", "HIGH");
    }

    /**
     * Redis's own count of the commands it ran since a reset, by name (CONFIG RESETSTAT, which starts the count, and
     * INFO, which reads it, left out).
     */
    private Map<String, Long> commandsRunAfter(Runnable work) {
        try (Jedis j = jedis()) {
            j.configResetStat();
            work.run();
            Map<String, Long> calls = new TreeMap<>();
            for (String line : j.info("commandstats").split("\\R")) {
                Matcher m = Pattern.compile("^cmdstat_([^:]+):calls=(\\d+)").matcher(line);
                if (m.find() && !m.group(1).startsWith("config") && !m.group(1).equals("info")) {
                    calls.put(m.group(1), Long.parseLong(m.group(2)));
                }
            }
            return calls;
        }
    }

    @Test
    void readingACachedScoreAtChatTimeIsOneHgetAndNothingElse() {
        assertThat(scores.scoreAll()).isEqualTo(table.size());
        scores.lookup("S4-0002");
        Map<String, Long> calls = commandsRunAfter(() ->
                assertThat(scores.lookup("S4-0002").getString("band")).isIn("LOW", "MEDIUM", "HIGH"));
        // one HGET: no PING to check the pooled connection first, no read of the customer's record
        assertThat(calls).containsExactly(Map.entry("hget", 1L));
    }

    @Test
    void aConnectionIdleForLongIsCheckedBeforeUseAndABrokenOneReplaced() throws Exception {
        try (JedisPool checkingAlways = RedisPool.open("redis://127.0.0.1:" + port, Duration.ZERO)) {
            ChurnScores checked = new ChurnScores(new Store(checkingAlways), table, model, 3600);
            checked.lookup("S4-0003");
            assertThat(commandsRunAfter(() -> checked.lookup("S4-0003"))).containsExactly(
                    Map.entry("hget", 1L), Map.entry("ping", 1L));
            // the pooled connection dies (as with a restarted Redis): the check finds it and a fresh one serves
            try (Jedis j = jedis()) {
                j.clientKill(new ClientKillParams().type(ClientType.NORMAL).skipMe(ClientKillParams.SkipMe.YES));
            }
            assertThat(checked.lookup("S4-0003").getString("band")).isIn("LOW", "MEDIUM", "HIGH");
            assertThat(checkingAlways.getNumActive()).isZero();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import redis.clients.jedis.Jedis;
import redis.embedded.RedisServer;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code keel churn ...} on a table of another shape than Telco (other column names and types, another label and
 * positive value): the same commands train, evaluate, explain and score it.
 */
class ChurnCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SUBSCRIBERS = Path.of(System.getProperty("keel.root", ".."),
            "churn/src/test/resources/subscribers.csv");
    private static Path model;

    /** Output, error output and exit code of one command. */
    private record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    private static Run keel(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Keel()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void train() throws Exception {
        model = Files.createTempDirectory("keel-churn-cli").resolve("model");
        Run run = keel("churn", "train", "--data", SUBSCRIBERS.toString(), "--id", "subscriber_ref", "--label",
                "cancelled", "--positive", "true", "--out", model.toString(), "--folds", "3");
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode report = run.json();
        assertThat(report.path("cv").has("lr")).isTrue();
        assertThat(report.path("cv").has("gbt")).isTrue();
        assertThat(report.path("auc").asDouble()).isGreaterThan(0.7);
        assertThat(report.path("droppedColumns").has("always_zero")).isTrue();
    }

    @Test
    void evalPrintsTheMetrics() throws Exception {
        Run run = keel("churn", "eval", "--model", model.toString(), "--data", SUBSCRIBERS.toString());
        assertThat(run.code()).as(run.err()).isZero();
        JsonNode eval = run.json();
        for (String field : new String[] {"auc", "prAuc", "brier", "logLoss", "n", "highBandPrecision", "reliability"}) {
            assertThat(eval.has(field)).as(field).isTrue();
        }
        assertThat(eval.path("n").asInt()).isEqualTo(600);
    }

    @Test
    void explainGivesOneCustomersReasonsAndTheDriversBySegment() throws Exception {
        Run one = keel("churn", "explain", "--model", model.toString(), "--data", SUBSCRIBERS.toString(),
                "--customer", "S-0002");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(one.json().path("factors").get(0).path("description").asText()).isNotBlank();
        Run segments = keel("churn", "explain", "--model", model.toString(), "--data", SUBSCRIBERS.toString(),
                "--by", "plan_tier");
        assertThat(segments.json().path("segments").size()).isEqualTo(3);
        Run unknown = keel("churn", "explain", "--model", model.toString(), "--data", SUBSCRIBERS.toString(),
                "--customer", "NOBODY");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("NOBODY");
    }

    @Test
    void scoreWithoutRedisCountsTheBands() throws Exception {
        Run run = keel("churn", "score", "--model", model.toString(), "--data", SUBSCRIBERS.toString(), "--redis", "");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().path("rows").asInt()).isEqualTo(600);
        assertThat(run.json().path("bands").has("HIGH")).isTrue();
    }

    @Test
    void scoreIntoARedisThatIsNotThereExitsOneClaimingNothingWritten() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Run run = keel("churn", "score", "--model", model.toString(), "--data", SUBSCRIBERS.toString(), "--redis",
                "redis://127.0.0.1:" + port);
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.json().path("written").asInt()).isZero();
        assertThat(run.json().path("complete").asBoolean()).isFalse();
        assertThat(run.json().path("error").asText()).contains("after 0 of 600");
    }

    @Test
    void benchPrintsKeelsRatesBesideRedisBenchmarksAndLeavesNoKeyBehind() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        RedisServer redis = RedisServer.newRedisServer().bind("127.0.0.1").port(port)
                .setting("save \"\"").setting("appendonly no").build();
        redis.start();
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            String realBucket = ScoreCache.bucketKey("S-0001");
            j.hset(realBucket, "S-0001", "a real customer's score");
            Run run = keel("churn", "bench", "--model", model.toString(), "--data", SUBSCRIBERS.toString(), "--redis",
                    "redis://127.0.0.1:" + port, "--customers", "3000", "--lookups", "100");
            assertThat(run.code()).as(run.err()).isZero();
            JsonNode report = run.json();
            assertThat(report.path("writesPerSecond").asDouble()).isPositive();
            assertThat(report.path("endToEndPerSecond").asDouble()).isPositive();
            assertThat(report.path("keyPrefix").asText()).startsWith("keel:churn2:bench-").endsWith(":4096:");
            assertThat(report.path("customersPerHset").asDouble()).isGreaterThan(1);
            if (Files.isExecutable(Path.of("/usr/bin/redis-benchmark"))) {
                assertThat(report.path("redisBenchmark").asText()).contains("-P 16 -t set -n 3000");
                assertThat(report.path("redisBenchmarkSetPerSecond").asDouble()).isPositive();
                assertThat(report.has("keelEndToEndVsRedisBenchmark")).isTrue();
            }
            // the bench's keys and redis-benchmark's are gone; what was there before is untouched
            assertThat(j.keys("*")).containsExactly(realBucket);
            assertThat(j.hgetAll(realBucket)).containsExactly(Map.entry("S-0001", "a real customer's score"));
        } finally {
            redis.stop();
        }
    }

    @Test
    void badInputIsOneClearLineNamingTheProblem(@TempDir Path dir) throws Exception {
        Run type = keel("churn", "train", "--data", SUBSCRIBERS.toString(), "--id", "subscriber_ref", "--label",
                "cancelled", "--positive", "true", "--out", dir.resolve("m").toString(), "--type", "region=text");
        assertThat(type.code()).isEqualTo(2);
        assertThat(type.err()).contains("numeric or categorical");

        Path broken = dir.resolve("broken.csv");
        Files.writeString(broken, Files.readString(SUBSCRIBERS).replaceFirst("S-0004,([a-z]+),([a-z]+),[0-9.]+,",
                "S-0004,$1,$2,twelve,"));
        Run score = keel("churn", "score", "--model", model.toString(), "--data", broken.toString(), "--redis", "");
        assertThat(score.code()).isEqualTo(2);
        assertThat(score.err()).contains("S-0004").contains("monthly_fee").contains("twelve");

        Run otherVersion = keel("churn", "eval", "--model", dir.toString(), "--data", SUBSCRIBERS.toString());
        assertThat(otherVersion.code()).isEqualTo(2);
        assertThat(otherVersion.err()).contains("model.json");
    }
}

package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM to the packaged server with a stop delay: readiness turns false at once and new
 * conversations are refused, while a conversation already open is still answered; then the node
 * stops by itself and says so.
 */
class GracefulStopTest {
    @Test
    void aStoppingNodeServesOpenConversationsForTheDelayThenExits() throws Exception {
        Path data = Files.createTempDirectory("keel-stop");
        // long enough that the checks below finish inside it on a slow machine
        KeelProcess keel = KeelProcess.start(data, "--kb", "../knowledge-base/articles",
                "--customers", "../churn/customers/telco_churn.csv", "--stop-delay-seconds", "20");
        try {
            JsonNode open = keel.open(null);
            assertThat(keel.say(open, "How do I pause my plan?", "before-stop").get("text").asText()).isNotBlank();

            long redisPid = Long.parseLong(Files.readString(data.resolve("redis/redis.pid")).strip());
            keel.terminate();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (keel.get("/health/ready", null).statusCode() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(keel.get("/health/ready", null).statusCode()).as("readiness after SIGTERM").isEqualTo(503);
            HttpResponse<String> refused = keel.post("/api/v1/conversations", null, "{}");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(KeelProcess.JSON.readTree(refused.body()).at("/error/code").asText()).isEqualTo("shutting_down");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(keel.say(open, "Can I pay my bill by card?", "during-stop").get("text").asText())
                    .as("an open conversation is still answered during the delay").isNotBlank();

            OptionalInt exit = keel.awaitExit(Duration.ofSeconds(90));
            assertThat(exit).as("the node exits by itself after the delay").isPresent();
            assertThat(keel.logText()).contains("Keel is stopping").contains("Keel stopped");
            // the embedded Redis served to the end and stopped with the node
            assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false)).as("redis-server still running").isFalse();
        } finally {
            keel.close();
        }
    }
}

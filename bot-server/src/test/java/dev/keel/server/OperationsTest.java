package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What operators see: Prometheus metrics, and a draining server that refuses new conversations only. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsTest {
    private static final String SERVICE_TOKEN = "operations-test-service-token";
    private static KeelServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of(System.getProperty("keel.root", ".."));
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, root.resolve("knowledge-base/articles"),
                root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes",
                Files.createTempDirectory("keel-ops"), null, "everysec", 0.45), SecuritySettings.defaults(),
                Map.of("KEEL_AGENT_TOKEN", SERVICE_TOKEN));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> say(JsonObject conversation, String text) throws Exception {
        return send("POST", "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages",
                conversation.getString("token"), new JsonObject().put("text", text).put("clientMessageId", text).encode());
    }

    @Test
    @Order(1)
    void metricsCountTurnsDecisionsAndRequestLatencyPerRoute() throws Exception {
        JsonObject conversation = new JsonObject(send("POST", "/api/v1/conversations", null, "{}").body());
        assertThat(say(conversation, "How do I pause my plan?").statusCode()).isEqualTo(200);

        HttpResponse<String> scrape = send("GET", "/metrics", null, null);
        assertThat(scrape.statusCode()).isEqualTo(200);
        String metrics = scrape.body();
        assertThat(metrics).contains("keel_turns_total{decision=\"ANSWER\"} 1.0")
                .contains("keel_decision_reasons_total{reason=\"ANSWERED_FROM_KNOWLEDGE_BASE\"} 1.0")
                .contains("keel_kb_passages ")
                .contains("keel_handoffs_waiting ")
                .contains("keel_redis_errors_total 0.0")
                .contains("jvm_memory_used_bytes")
                .containsPattern("vertx_http_server_response_time_seconds_bucket\\{[^}]*route=\"/api/v1/conversations/:id/messages\"");
    }

    @Test
    @Order(2)
    void theLoadCommandDrivesTheServerOverHttpAndReadsItsMetrics() {
        int exit = new CommandLine(new LoadCommand()).execute("--url", "http://127.0.0.1:" + server.port(),
                "--conversations", "20", "--rate", "20", "--seconds", "2");
        assertThat(exit).isZero();

        // with agents on the agent API and its socket; a large share of turns asks for a person, so
        // that a short run surely makes hand-offs
        LoadCommand load = new LoadCommand();
        exit = new CommandLine(load).execute("--url", "http://127.0.0.1:" + server.port(),
                "--conversations", "10", "--rate", "10", "--seconds", "2", "--agents", "2", "--agent-capacity", "2",
                "--agent-handling-ms", "100", "--agent-token", SERVICE_TOKEN, "--handoff-share", "0.5");
        assertThat(exit).isZero();
        LoadCommand.Result result = load.result();
        assertThat(result.handoffs()).isPositive();
        assertThat(result.agents().claimed()).isPositive();
        assertThat(result.agents().resolved()).isPositive();
        assertThat(result.agents().errors()).isZero();
        assertThat(result.agents().handoffToClaim().getTotalCount()).isPositive();
    }

    @Test
    @Order(3)
    void aDrainingServerIsNotReadyAndRefusesNewConversationsButFinishesOpenOnes() throws Exception {
        JsonObject open = new JsonObject(send("POST", "/api/v1/conversations", null, "{}").body());
        server.drain(Duration.ZERO);

        assertThat(send("GET", "/health/ready", null, null).statusCode()).isEqualTo(503);
        assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = send("POST", "/api/v1/conversations", null, "{}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(new JsonObject(refused.body()).getJsonObject("error").getString("code")).isEqualTo("shutting_down");
        assertThat(say(open, "How can I pay my bill?").statusCode()).isEqualTo(200);
    }
}

package dev.keel.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.keel.churn.CustomerTable;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Webhooks to a WireMock receiver from the real server in process: each is signed as documented,
 * a failed delivery is retried until accepted once, one that keeps failing is given up after the
 * bounded attempts and counted, and a receiver that never answers holds up no chat.
 */
class WebhooksTest {
    private static final String SECRET = "webhook-test-secret-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static WireMockServer receiver;
    private static TestKeel.Running keel;
    private static CustomerTable customers;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WireMockServer(options().dynamicPort());
        receiver.start();
        receiver.stubFor(post(urlPathEqualTo("/hooks")).atPriority(10).willReturn(aResponse().withStatus(200)));
        keel = TestKeel.start(EscalationConfig.defaults(),
                new Webhooks.Settings(receiver.baseUrl() + "/hooks", SECRET, 3, Duration.ofMillis(200)));
        customers = CustomerTable.load(TestKeel.ROOT.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes");
    }

    @AfterAll
    static void stop() {
        if (keel != null) {
            keel.server().close();
        }
        if (receiver != null) {
            receiver.stop();
        }
    }

    private static HttpResponse<String> send(TestKeel.Running on, String method, String path, String bearer, String agent,
                                             JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.server().port() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (agent != null) {
            request.header(AgentApi.AGENT_HEADER, agent);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject open(TestKeel.Running on, String customerId) throws Exception {
        JsonObject body = customerId == null ? new JsonObject() : new JsonObject().put("identityToken", on.identityToken(customerId));
        HttpResponse<String> response = send(on, "POST", "/api/v1/conversations", null, null, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return new JsonObject(response.body());
    }

    private static JsonObject say(TestKeel.Running on, JsonObject conversation, String text) throws Exception {
        HttpResponse<String> response = send(on, "POST", "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages",
                conversation.getString("token"), null, new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getJsonObject("reply");
    }

    private static List<LoggedRequest> received(String conversationId) {
        return receiver.findAll(postRequestedFor(urlPathEqualTo("/hooks")).withRequestBody(containing(conversationId)));
    }

    /** Polls until the condition holds; the deadline only bounds a failing run. */
    private static void eventually(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static double counted(String event, String outcome) throws Exception {
        String metrics = send(keel, "GET", "/metrics", null, null, null).body();
        return metrics.lines().filter(l -> l.startsWith("keel_webhook_deliveries_total{"))
                .filter(l -> l.contains("event=\"" + event + "\"") && l.contains("outcome=\"" + outcome + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static void assertSigned(LoggedRequest request) {
        String timestamp = request.getHeader("X-Keel-Timestamp");
        String body = request.getBodyAsString();
        assertThat(request.getHeader("X-Keel-Signature")).isEqualTo("sha256=" + Webhooks.signature(SECRET, timestamp, body));
        assertThat(Long.parseLong(timestamp)).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
        JsonObject json = new JsonObject(body);
        assertThat(request.getHeader("X-Keel-Event")).isEqualTo(json.getString("event"));
        assertThat(request.getHeader("X-Keel-Delivery")).isEqualTo(json.getString("id"));
        assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    }

    @Test
    void aHighRiskCustomerAHandoffAndAResolutionAreSignedDeliveries() throws Exception {
        String customerId = customers.ids().stream().filter(id -> {
            var r = customers.record(id).orElseThrow();
            return r.get("Contract").equals("Month-to-month") && Integer.parseInt(r.get("tenure")) <= 2
                    && r.get("InternetService").equals("Fiber optic") && r.get("PaymentMethod").equals("Electronic check");
        }).findFirst().orElseThrow();
        JsonObject conversation = open(keel, customerId);
        String id = conversation.getString("conversationId");
        assertThat(say(keel, conversation, "I want to talk to a real person").getString("decision")).isEqualTo("HANDOFF");
        assertThat(send(keel, "POST", "/api/v1/agent/conversations/" + id + "/claim", keel.agentToken(), "ada", null).statusCode())
                .isEqualTo(200);
        assertThat(send(keel, "POST", "/api/v1/agent/conversations/" + id + "/resolve", keel.agentToken(), "ada",
                new JsonObject().put("disposition", "retained")).statusCode()).isEqualTo(200);

        eventually(() -> received(id).size() >= 3);
        List<LoggedRequest> requests = received(id);
        assertThat(requests).hasSize(3);
        requests.forEach(WebhooksTest::assertSigned);
        assertThat(requests.stream().map(r -> r.getHeader("X-Keel-Event")))
                .containsExactlyInAnyOrder(Webhooks.HIGH_RISK, Webhooks.HANDOFF, Webhooks.RESOLVED);
        JsonObject highRisk = requests.stream().map(r -> new JsonObject(r.getBodyAsString()))
                .filter(b -> b.getString("event").equals(Webhooks.HIGH_RISK)).findFirst().orElseThrow();
        assertThat(highRisk.getJsonObject("data").getString("customerId")).isEqualTo(customerId);
        assertThat(highRisk.getJsonObject("data").getJsonObject("risk").getString("band")).isEqualTo("HIGH");
        JsonObject resolved = requests.stream().map(r -> new JsonObject(r.getBodyAsString()))
                .filter(b -> b.getString("event").equals(Webhooks.RESOLVED)).findFirst().orElseThrow();
        assertThat(resolved.getJsonObject("data").getString("disposition")).isEqualTo("retained");

        // the claim was timed from the hand-off; the queue's oldest wait is sampled
        String metrics = send(keel, "GET", "/metrics", null, null, null).body();
        assertThat(metrics).contains("keel_handoff_time_to_agent_seconds_bucket{le=\"10.0\"}")
                .contains("keel_handoffs_oldest_wait_seconds").contains("keel_webhooks_pending");
        assertThat(metrics.lines().filter(l -> l.startsWith("keel_handoff_time_to_agent_seconds_count"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aDeliveryThatFailsOnceIsRetriedAndAcceptedOnce() throws Exception {
        JsonObject conversation = open(keel, null);
        String id = conversation.getString("conversationId");
        receiver.stubFor(post(urlPathEqualTo("/hooks")).withRequestBody(containing(id)).atPriority(1)
                .inScenario(id).whenScenarioStateIs(Scenario.STARTED).willSetStateTo("failed once")
                .willReturn(aResponse().withStatus(500)));
        receiver.stubFor(post(urlPathEqualTo("/hooks")).withRequestBody(containing(id)).atPriority(1)
                .inScenario(id).whenScenarioStateIs("failed once").willReturn(aResponse().withStatus(200)));
        double delivered = counted(Webhooks.HANDOFF, "delivered");
        say(keel, conversation, "Can I speak to a human please?");

        eventually(() -> counted(Webhooks.HANDOFF, "delivered") > delivered);
        List<LoggedRequest> requests = received(id);
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).getHeader("X-Keel-Delivery")).isEqualTo(requests.get(1).getHeader("X-Keel-Delivery"));
        requests.forEach(WebhooksTest::assertSigned);
        assertThat(counted(Webhooks.HANDOFF, "retried")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aDeliveryThatKeepsFailingIsGivenUpAfterItsAttemptsAndCounted() throws Exception {
        JsonObject conversation = open(keel, null);
        String id = conversation.getString("conversationId");
        receiver.stubFor(post(urlPathEqualTo("/hooks")).withRequestBody(containing(id)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));
        double failed = counted(Webhooks.HANDOFF, "failed");
        say(keel, conversation, "Get me a real person");

        eventually(() -> counted(Webhooks.HANDOFF, "failed") > failed);
        assertThat(received(id)).hasSize(3);
    }

    @Test
    void aReceiverThatNeverAnswersHoldsUpNoChat() throws Exception {
        // a socket that takes connections but never reads or answers them
        try (ServerSocket dead = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestKeel.Running other = TestKeel.start(EscalationConfig.defaults(), new Webhooks.Settings(
                    "http://127.0.0.1:" + dead.getLocalPort() + "/hooks", SECRET, 3, Duration.ofMillis(200)));
            try {
                for (int i = 0; i < 3; i++) {
                    JsonObject conversation = open(other, null);
                    assertThat(say(other, conversation, "I want to talk to a person").getString("decision")).isEqualTo("HANDOFF");
                    assertThat(say(other, conversation, "still there?").getJsonArray("reasons")).contains("WAITING_FOR_PERSON");
                }
                assertThat(send(other, "GET", "/health/ready", null, null, null).statusCode()).isEqualTo(200);
            } finally {
                other.server().close();
            }
        }
    }
}

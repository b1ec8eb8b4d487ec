package dev.keel.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.keel.server.llm.LlmSettings;
import dev.keel.server.llm.ModelStub;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming route of a running Keel with a model behind WireMock: the event order, the turn
 * stored before {@code end} and exactly as the JSON route stores it, a partial reply marked
 * incomplete and never stored, and the JSON route answering through the same model.
 */
class StreamingRouteTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String PAUSE = "How long can I pause my plan?";
    private static final String GROUNDED = "You can pause for 15 days up to 3 months [lk-pause-plan].";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static WireMockServer wire;
    private static KeelServer server;

    record Event(String name, JsonObject data) {
    }

    @BeforeAll
    static void start() throws Exception {
        wire = new WireMockServer(options().dynamicPort());
        wire.start();
        Path root = Path.of(System.getProperty("keel.root", ".."));
        LlmSettings llm = LlmSettings.fromEnvironment(Map.of("LLM_PROVIDER", "openai", "LLM_MODEL", "stub-model",
                "LLM_BASE_URL", wire.baseUrl() + "/v1", "LLM_FIRST_TOKEN_TIMEOUT_MS", "6000", "LLM_IDLE_TIMEOUT_MS", "1000",
                "LLM_TOTAL_TIMEOUT_MS", "20000"));
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, root.resolve("knowledge-base/articles"),
                root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes",
                Files.createTempDirectory("keel-stream"), null, "everysec", 0.45).withLlm(llm));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        wire.stop();
    }

    @BeforeEach
    void reset() {
        wire.resetAll();
    }

    private static HttpResponse<String> send(String path, String token, JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .method(body == null ? "GET" : "POST", body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject open() throws Exception {
        return new JsonObject(send("/api/v1/conversations", null, new JsonObject()).body());
    }

    private static String path(JsonObject conversation) {
        return "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages";
    }

    private static List<Event> stream(JsonObject conversation, String text, String clientMessageId) throws Exception {
        HttpResponse<String> response = send(path(conversation) + "/stream", conversation.getString("token"),
                new JsonObject().put("text", text).put("clientMessageId", clientMessageId));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<Event> events = new ArrayList<>();
        for (String block : response.body().split("\n\n")) {
            String[] lines = block.split("\n");
            if (lines.length == 2 && lines[0].startsWith("event: ") && lines[1].startsWith("data: ")) {
                events.add(new Event(lines[0].substring(7), new JsonObject(lines[1].substring(6))));
            }
        }
        return events;
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).distinct().toList();
    }

    private static String deltas(List<Event> events, int from) {
        StringBuilder text = new StringBuilder();
        for (Event e : events.subList(from, events.size())) {
            if (e.name().equals("delta")) {
                text.append(e.data().getString("text"));
            }
        }
        return text.toString();
    }

    private static JsonObject storedBotMessage(JsonObject conversation) throws Exception {
        JsonArray messages = new JsonObject(send(path(conversation), conversation.getString("token"), null).body())
                .getJsonArray("messages");
        return messages.getJsonObject(messages.size() - 1);
    }

    private static int calls() {
        return wire.findAll(postRequestedFor(urlPathEqualTo(CHAT))).size();
    }

    @Test
    void streamsTheReplyThenStoresItBeforeTheEnd() throws Exception {
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(ModelStub.openAiStream(ModelStub.pieces(GROUNDED)))));
        JsonObject conversation = open();
        List<Event> events = stream(conversation, PAUSE, "m1");

        assertThat(names(events)).containsExactly("start", "delta", "citations", "decision", "end");
        JsonObject reply = events.get(events.size() - 1).data().getJsonObject("reply");
        assertThat(deltas(events, 0)).isEqualTo(reply.getString("text")).isEqualTo("You can pause for 15 days up to 3 months.");
        assertThat(reply.getJsonArray("citations").getJsonObject(0).getString("articleId")).isEqualTo("lk-pause-plan");
        assertThat(reply.getString("template")).startsWith("llm-answer@");
        assertThat(storedBotMessage(conversation).getString("text")).isEqualTo(reply.getString("text"));
        assertThat(storedBotMessage(conversation).getLong("seq")).isEqualTo(1);
        assertThat(events.get(events.size() - 1).data().getLong("customerSeq")).isEqualTo(0);
        assertThat(events.get(events.size() - 1).data().getLong("replySeq")).isEqualTo(1);
        assertThat(reply.getLong("replySeq")).isEqualTo(1);

        List<Event> again = stream(conversation, PAUSE, "m1");
        assertThat(again.get(again.size() - 1).data().getJsonObject("reply")).isEqualTo(reply);
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void aReplyCutOffMidwayIsMarkedIncompleteAndTheFallbackIsStored() throws Exception {
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody(ModelStub.openAiStream(ModelStub.pieces(GROUNDED + " More words follow here, slowly.")))
                .withChunkedDribbleDelay(3, 9000)));
        JsonObject conversation = open();
        List<Event> events = stream(conversation, PAUSE, "m1");

        assertThat(names(events)).containsExactly("start", "delta", "incomplete", "citations", "decision", "end");
        int incomplete = events.stream().map(Event::name).toList().indexOf("incomplete");
        JsonObject reply = events.get(events.size() - 1).data().getJsonObject("reply");
        assertThat(deltas(events, incomplete)).isEqualTo(reply.getString("text"));
        assertThat(reply.getString("decision")).isEqualTo("ANSWER_AND_OFFER_HUMAN");
        assertThat(reply.getJsonArray("reasons")).contains("LLM_FALLBACK", "LLM_IDLE_TIMEOUT");
        assertThat(storedBotMessage(conversation).getString("text")).isEqualTo(reply.getString("text"))
                .startsWith("Here is what our help article");
        assertThat(calls()).isEqualTo(1);

        wire.resetAll();
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(ModelStub.openAiStream(ModelStub.pieces(GROUNDED)))));
        List<Event> next = stream(conversation, PAUSE, "m2");
        assertThat(next.get(next.size() - 1).name()).isEqualTo("end");
        assertThat(next.get(next.size() - 1).data().getJsonObject("reply").getJsonArray("reasons")).contains("LLM_ANSWER");
    }

    @Test
    void aCustomerWhoLeavesCancelsTheModelCallAndTheTurnStillGetsOneReply() throws Exception {
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream")
                .withBody(ModelStub.openAiStream(ModelStub.pieces(GROUNDED + " And then a great deal more text follows.")))
                .withChunkedDribbleDelay(40, 20_000)));
        JsonObject conversation = open();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path(conversation) + "/stream"))
                .header("Authorization", "Bearer " + conversation.getString("token"))
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", PAUSE).put("clientMessageId", "m1").encode()))
                .build();
        HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line = in.readLine();
            while (line != null && !line.equals("event: delta")) {
                line = in.readLine();
            }
        }
        JsonObject stored = null;
        for (int i = 0; i < 400 && stored == null; i++) {
            JsonArray messages = new JsonObject(send(path(conversation), conversation.getString("token"), null).body())
                    .getJsonArray("messages");
            stored = messages.size() == 2 ? messages.getJsonObject(1) : null;
            Thread.sleep(50);
        }
        assertThat(stored).isNotNull();
        assertThat(stored.getJsonArray("reasons")).contains("LLM_FALLBACK", "LLM_CANCELLED");
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void theJsonRouteAnswersThroughTheModelInOnePiece() throws Exception {
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(ModelStub.openAiWhole(GROUNDED))));
        JsonObject conversation = open();
        HttpResponse<String> response = send(path(conversation), conversation.getString("token"),
                new JsonObject().put("text", PAUSE).put("clientMessageId", "m1"));
        JsonObject reply = new JsonObject(response.body()).getJsonObject("reply");
        assertThat(reply.getString("text")).isEqualTo("You can pause for 15 days up to 3 months.");
        assertThat(reply.getJsonArray("reasons")).contains("LLM_ANSWER");
    }

    @Test
    void aQuestionOutsideTheKnowledgeBaseNeverReachesTheModel() throws Exception {
        JsonObject conversation = open();
        for (String question : List.of("What's a good lasagna recipe?", "Who will win the next election?")) {
            List<Event> events = stream(conversation, question, question);
            JsonObject reply = events.get(events.size() - 1).data().getJsonObject("reply");
            assertThat(reply.getString("template")).startsWith("reply-off-topic@");
            assertThat(reply.getJsonArray("citations")).isEmpty();
            assertThat(reply.getString("decision")).isEqualTo("ANSWER");
            assertThat(reply.getJsonArray("reasons")).contains("OFF_TOPIC");
        }
        assertThat(calls()).isZero();
    }

    @Test
    void aRefusedRequestGetsAPlainJsonError() throws Exception {
        JsonObject conversation = open();
        HttpResponse<String> wrongToken = send(path(conversation) + "/stream", "not-the-token",
                new JsonObject().put("text", PAUSE).put("clientMessageId", "m1"));
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(new JsonObject(wrongToken.body()).getJsonObject("error").getString("code")).isEqualTo("invalid_token");
        HttpResponse<String> missing = send(path(conversation) + "/stream", conversation.getString("token"), new JsonObject());
        assertThat(missing.statusCode()).isEqualTo(400);
    }

    /** The sum of a metric's samples on {@code /metrics} whose line holds {@code labels}. */
    private static double scraped(String name, String labels) throws Exception {
        double sum = 0;
        for (String line : send("/metrics", null, null).body().split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labels) || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void metricsShowTimeToFirstTokenTokensAndErrorsByClass() throws Exception {
        double firstTokens = scraped("keel_llm_first_token_seconds_count", "");
        double tokensIn = scraped("keel_llm_tokens_total", "direction=\"in\"");
        double tokensOut = scraped("keel_llm_tokens_total", "direction=\"out\"");
        double serverErrors = scraped("keel_llm_errors_total", "kind=\"SERVER\"");

        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(ModelStub.openAiStream(ModelStub.pieces(GROUNDED)))));
        JsonObject conversation = open();
        assertThat(names(stream(conversation, PAUSE, "m1"))).endsWith("end");
        wire.resetAll();
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json").withBody(ModelStub.openAiError("server_error", null, "boom"))));
        assertThat(names(stream(conversation, PAUSE, "m2"))).endsWith("end");
        int failedCalls = calls();

        assertThat(scraped("keel_llm_first_token_seconds_count", "")).isEqualTo(firstTokens + 1);
        assertThat(scraped("keel_llm_first_token_seconds_bucket", "le=\"+Inf\"")).isGreaterThanOrEqualTo(firstTokens + 1);
        assertThat(scraped("keel_llm_tokens_total", "direction=\"in\"")).isEqualTo(tokensIn + 120);
        assertThat(scraped("keel_llm_tokens_total", "direction=\"out\"")).isGreaterThan(tokensOut);
        assertThat(failedCalls).isPositive();
        assertThat(scraped("keel_llm_errors_total", "kind=\"SERVER\"")).isEqualTo(serverErrors + failedCalls);
        assertThat(send("/metrics", null, null).body()).contains("keel_llm_errors_total{kind=\"QUOTA_EXHAUSTED\"} 0.0");
    }
}

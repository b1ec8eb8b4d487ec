package dev.keel.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.keel.server.llm.LlmSettings;
import dev.keel.server.llm.ModelStub;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the language model drafts for agents, with the model behind WireMock: a suggested reply from
 * the agent-suggested-reply template comes first when it passes the bot's checks, and the quotes
 * from the articles stay when it does not or when the model is down; the briefing's summary comes
 * from the agent-handoff-summary template once written, cleaned of HTML.
 */
class AgentDraftsWithModelTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String DRAFT_PROMPT = "Draft the next reply a support agent could send";
    private static final String SUMMARY_PROMPT = "Summarise this support conversation";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String AGENT_TOKEN = UUID.randomUUID().toString();
    private static WireMockServer wire;
    private static KeelServer server;

    @BeforeAll
    static void start() throws Exception {
        wire = new WireMockServer(options().dynamicPort());
        wire.start();
        Path root = Path.of(System.getProperty("keel.root", ".."));
        LlmSettings llm = LlmSettings.fromEnvironment(Map.of("LLM_PROVIDER", "openai", "LLM_MODEL", "stub-model",
                "LLM_BASE_URL", wire.baseUrl() + "/v1", "LLM_FIRST_TOKEN_TIMEOUT_MS", "6000", "LLM_IDLE_TIMEOUT_MS", "2000",
                "LLM_TOTAL_TIMEOUT_MS", "20000", "LLM_MAX_ATTEMPTS", "1"));
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, root.resolve("knowledge-base/articles"),
                        root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes",
                        Files.createTempDirectory("keel-suggest"), null, "everysec", 0.45).withLlm(llm),
                SecuritySettings.defaults(), Map.of("KEEL_AGENT_TOKEN", AGENT_TOKEN));
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
        // the bot's own answers to the customer
        wire.stubFor(post(urlPathEqualTo(CHAT)).atPriority(5).willReturn(whole("Our help articles explain it [lk-cancel-service].")));
    }

    @Test
    void theModelsDraftComesFirstCheckedAndCitedThenTheQuotes() throws Exception {
        draftReplies("You can cancel in a chat in My Larkspur by typing \"cancel my service\" [lk-cancel-service].");
        JsonObject c = open();
        say(c, "How do I cancel my service? <b>today</b>");

        JsonArray suggestions = suggestions(c);
        JsonObject first = suggestions.getJsonObject(0);
        assertThat(first.getString("source")).isEqualTo("model");
        assertThat(first.getString("template")).startsWith("agent-suggested-reply@");
        assertThat(first.getString("text")).startsWith("You can cancel in a chat").doesNotContain("[lk-cancel-service]");
        assertThat(first.getJsonArray("citations").getJsonObject(0).getString("articleId")).isEqualTo("lk-cancel-service");
        assertThat(suggestions.getJsonObject(1).getString("source")).isEqualTo("extractive");
        assertThat(suggestions.size()).isLessThanOrEqualTo(AgentSuggestions.MAX_SUGGESTIONS);

        String prompt = draftRequest();
        assertThat(prompt).contains("<kb_passages>").contains("<passage article=\\\"lk-cancel-service\\\"")
                .contains("Customer: How do I cancel my service? today").contains("Bot: Our help articles explain it");
    }

    @Test
    void aDraftThatPromisesWhatNoArticleSaysIsDropped() throws Exception {
        draftReplies("We will refund you 250 dollars straight away.");
        JsonObject c = open();
        say(c, "How do I cancel my service?");

        JsonArray suggestions = suggestions(c);
        assertThat(suggestions).isNotEmpty();
        assertThat(suggestions.stream().map(s -> ((JsonObject) s).getString("source")).toList()).containsOnly("extractive");
        assertThat(suggestions.encode()).doesNotContain("refund you 250");
    }

    @Test
    void whenTheModelIsDownTheQuotesRemain() throws Exception {
        JsonObject c = open();
        say(c, "How do I cancel my service?");
        wire.stubFor(post(urlPathEqualTo(CHAT)).atPriority(1).withRequestBody(containing(DRAFT_PROMPT))
                .willReturn(aResponse().withStatus(500).withBody(ModelStub.openAiError("server_error", null, "down"))));

        JsonArray suggestions = suggestions(c);
        assertThat(suggestions).isNotEmpty();
        assertThat(suggestions.getJsonObject(0).getString("source")).isEqualTo("extractive");
        assertThat(suggestions.getJsonObject(0).getJsonArray("citations").getJsonObject(0).getString("articleId"))
                .isEqualTo("lk-cancel-service");
    }

    @Test
    void theBriefingSummaryIsTheModelsOnceWrittenWithoutHtml() throws Exception {
        wire.stubFor(post(urlPathEqualTo(CHAT)).atPriority(1).withRequestBody(containing(SUMMARY_PROMPT)).willReturn(whole(
                "The customer wants to cancel their service. <img src=x onerror=alert(document.domain)>The bot quoted the cancellation"
                        + " article; they then asked for a person.")));
        JsonObject c = open();
        say(c, "How do I cancel my service?");
        say(c, "I want to talk to a person");
        String view = "/api/v1/agent/conversations/" + c.getString("conversationId");

        JsonObject first = new JsonObject(send("GET", view, AGENT_TOKEN, null).body());
        assertThat(first.getString("summarySource")).as("no wait for the model").isEqualTo("signals");
        assertThat(first.getBoolean("summaryPending")).isTrue();
        assertThat(first.getString("summary")).contains("How do I cancel my service?");

        JsonObject written = first;
        for (int i = 0; i < 100 && !"model".equals(written.getString("summarySource")); i++) {
            Thread.sleep(100);
            written = new JsonObject(send("GET", view, AGENT_TOKEN, null).body());
        }
        assertThat(written.getString("summarySource")).isEqualTo("model");
        assertThat(written.getBoolean("summaryPending")).isFalse();
        assertThat(written.getString("summary")).startsWith("The customer wants to cancel their service.")
                .contains("asked for a person").doesNotContain("<img").doesNotContain("onerror");

        List<LoggedRequest> prompts = wire.findAll(postRequestedFor(urlPathEqualTo(CHAT)).withRequestBody(containing(SUMMARY_PROMPT)));
        assertThat(prompts).as("written once").hasSize(1);
        JsonArray messages = new JsonObject(prompts.get(0).getBodyAsString()).getJsonArray("messages");
        assertThat(messages).as("the template alone, not the bot's system prompt").hasSize(1);
        assertThat(messages.getJsonObject(0).getString("content")).contains("Reasons for the hand-over: INTENT_HUMAN")
                .contains("Customer: How do I cancel my service?").contains("Customer: I want to talk to a person");
    }

    private static void draftReplies(String text) {
        wire.stubFor(post(urlPathEqualTo(CHAT)).atPriority(1).withRequestBody(containing(DRAFT_PROMPT)).willReturn(whole(text)));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder whole(String text) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(ModelStub.openAiWhole(text));
    }

    private static String draftRequest() {
        List<LoggedRequest> drafts = wire.findAll(postRequestedFor(urlPathEqualTo(CHAT)).withRequestBody(containing(DRAFT_PROMPT)));
        assertThat(drafts).hasSize(1);
        return drafts.get(0).getBodyAsString();
    }

    private static JsonArray suggestions(JsonObject c) throws Exception {
        HttpResponse<String> response = send("GET", "/api/v1/agent/conversations/" + c.getString("conversationId") + "/suggestions",
                AGENT_TOKEN, null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getJsonArray("suggestions");
    }

    private static JsonObject open() throws Exception {
        return new JsonObject(send("POST", "/api/v1/conversations", null, "{}").body());
    }

    private static void say(JsonObject c, String text) throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations/" + c.getString("conversationId") + "/messages",
                c.getString("token"), new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).encode());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token).header(AgentApi.AGENT_HEADER, "agent-1");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

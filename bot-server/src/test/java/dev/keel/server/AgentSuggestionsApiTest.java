package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's suggested replies, through the real server in process: the bundled articles in a real
 * Lucene index, the transcript in a real embedded Redis.
 */
class AgentSuggestionsApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestKeel.Running running;

    @BeforeAll
    static void start() throws Exception {
        running = TestKeel.start(EscalationConfig.defaults());
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.server().close();
        }
    }

    @Test
    void suggestionsQuoteTheArticlesThatMatchTheCustomersLatestMessageWithCitations() throws Exception {
        JsonObject c = open();
        say(c, "Order help please <img src=\"q\" onerror=\"window.__pwn=1\"> **thanks**");
        say(c, "cancel my account now");

        HttpResponse<String> response = agent("GET", "/conversations/" + c.getString("conversationId") + "/suggestions", running.agentToken());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonObject body = new JsonObject(response.body());
        assertThat(body.getJsonArray("basedOn").getList()).last().isEqualTo("cancel my account now");
        JsonArray suggestions = body.getJsonArray("suggestions");
        assertThat(suggestions.size()).isBetween(1, AgentSuggestions.MAX_SUGGESTIONS);
        JsonObject first = suggestions.getJsonObject(0);
        assertThat(first.getString("source")).as("no model configured").isEqualTo("extractive");
        assertThat(first.getString("template")).startsWith("reply-answer@");
        JsonObject citation = first.getJsonArray("citations").getJsonObject(0);
        assertThat(citation.getString("articleId")).isEqualTo("lk-cancel-service");
        assertThat(first.getString("text")).contains(citation.getString("title")).containsIgnoringCase("cancel");
        assertThat(first.getString("passageId")).isNotBlank();
        assertThat(suggestions.stream().map(s -> ((JsonObject) s).getJsonArray("citations").getJsonObject(0).getString("articleId")))
                .as("each article once").doesNotHaveDuplicates();
        assertThat(response.body()).doesNotContain("<img").doesNotContain("onerror");
    }

    @Test
    void aShortNudgeStillFindsWhatTheConversationIsAbout() throws Exception {
        JsonObject c = open();
        say(c, "How do I set up automatic payments?");
        say(c, "hello? anyone?");

        JsonObject body = new JsonObject(agent("GET", "/conversations/" + c.getString("conversationId") + "/suggestions",
                running.agentToken()).body());
        List<String> articles = body.getJsonArray("suggestions").stream()
                .map(s -> ((JsonObject) s).getJsonArray("citations").getJsonObject(0).getString("articleId")).toList();
        assertThat(articles).first().isEqualTo("lk-automatic-payments");
        assertThat(body.getJsonArray("basedOn").getList()).containsExactly("How do I set up automatic payments?", "hello? anyone?");
    }

    @Test
    void aConversationWithoutCustomerMessagesHasNoSuggestions() throws Exception {
        JsonObject c = open();
        JsonObject body = new JsonObject(agent("GET", "/conversations/" + c.getString("conversationId") + "/suggestions",
                running.agentToken()).body());
        assertThat(body.getJsonArray("suggestions")).isEmpty();
        assertThat(body.getJsonArray("basedOn")).isEmpty();
    }

    @Test
    void unknownConversationsAndCallersWithoutCredentialsAreRefused() throws Exception {
        HttpResponse<String> unknown = agent("GET", "/conversations/" + UUID.randomUUID() + "/suggestions", running.agentToken());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("code")).isEqualTo("conversation_not_found");

        JsonObject c = open();
        say(c, "cancel my account now");
        HttpResponse<String> anonymous = agent("GET", "/conversations/" + c.getString("conversationId") + "/suggestions", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> customerToken = agent("GET", "/conversations/" + c.getString("conversationId") + "/suggestions",
                c.getString("token"));
        assertThat(customerToken.statusCode()).as("a conversation token is no agent credential").isEqualTo(401);
        assertThat(agent("GET", "/conversations/not-an-id/suggestions", running.agentToken()).statusCode()).isEqualTo(404);
    }

    private static JsonObject open() throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations", null, null, "{}");
        assertThat(response.statusCode()).isEqualTo(201);
        return new JsonObject(response.body());
    }

    private static void say(JsonObject c, String text) throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations/" + c.getString("conversationId") + "/messages",
                c.getString("token"), null, new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).encode());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static HttpResponse<String> agent(String method, String path, String token) throws Exception {
        return send(method, "/api/v1/agent" + path, token, "agent-1", null);
    }

    private static HttpResponse<String> send(String method, String path, String token, String agentId, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.server().port() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (agentId != null) {
            request.header(AgentApi.AGENT_HEADER, agentId);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

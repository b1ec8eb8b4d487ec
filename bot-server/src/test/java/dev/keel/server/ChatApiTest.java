package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The chat API in process, on a real embedded Redis and a real Lucene index of the bundled articles. */
class ChatApiTest {
    private static KeelServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("keel-api");
        Path root = Path.of(System.getProperty("keel.root", ".."));
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, root.resolve("knowledge-base/articles"),
                root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", data, null, "everysec", 0.45));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject open() throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations", null, "{}");
        assertThat(response.statusCode()).isEqualTo(201);
        return new JsonObject(response.body());
    }

    private static String messages(JsonObject conversation) {
        return "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages";
    }

    private static JsonObject error(HttpResponse<String> response) {
        return new JsonObject(response.body()).getJsonObject("error");
    }

    @Test
    void answersFromTheBundledKnowledgeBaseWithCitations() throws Exception {
        JsonObject conversation = open();
        HttpResponse<String> response = send("POST", messages(conversation), conversation.getString("token"),
                new JsonObject().put("text", "How do I pause my plan?").put("clientMessageId", "m1").encode());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject reply = new JsonObject(response.body()).getJsonObject("reply");
        assertThat(reply.getString("decision")).isEqualTo("ANSWER");
        assertThat(reply.getJsonArray("citations")).isNotEmpty();
    }

    @Test
    void everyMessageCarriesItsPlaceInTheTranscript() throws Exception {
        JsonObject conversation = open();
        String token = conversation.getString("token");
        JsonObject first = new JsonObject(send("POST", messages(conversation), token,
                new JsonObject().put("text", "How do I pause my plan?").put("clientMessageId", "s1").encode()).body()).getJsonObject("reply");
        JsonObject second = new JsonObject(send("POST", messages(conversation), token,
                new JsonObject().put("text", "And how do I pay my bill?").put("clientMessageId", "s2").encode()).body()).getJsonObject("reply");
        assertThat(first.getLong("customerSeq")).isEqualTo(0);
        assertThat(first.getLong("replySeq")).isEqualTo(1);
        assertThat(second.getLong("customerSeq")).isEqualTo(2);
        assertThat(second.getLong("replySeq")).isEqualTo(3);
        // a retry returns the same reply, positions included
        JsonObject retried = new JsonObject(send("POST", messages(conversation), token,
                new JsonObject().put("text", "How do I pause my plan?").put("clientMessageId", "s1").encode()).body()).getJsonObject("reply");
        assertThat(retried).isEqualTo(first);

        io.vertx.core.json.JsonArray transcript = new JsonObject(send("GET", messages(conversation), token, null).body())
                .getJsonArray("messages");
        assertThat(transcript).hasSize(4);
        for (int i = 0; i < transcript.size(); i++) {
            assertThat(transcript.getJsonObject(i).getLong("seq")).isEqualTo(i);
        }
    }

    @Test
    void refusesBadRequestsClearlyAndStoresNothing() throws Exception {
        JsonObject conversation = open();
        String token = conversation.getString("token");
        String path = messages(conversation);

        HttpResponse<String> malformed = send("POST", path, token, "{\"text\": ");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(error(malformed).getString("code")).isEqualTo("malformed_json");

        HttpResponse<String> missing = send("POST", path, token, "{\"clientMessageId\": \"x\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(error(missing).getString("code")).isEqualTo("missing_text");

        HttpResponse<String> tooLong = send("POST", path, token,
                new JsonObject().put("text", "a".repeat(4001)).put("clientMessageId", "x").encode());
        assertThat(tooLong.statusCode()).isEqualTo(413);
        assertThat(error(tooLong).getString("message")).contains("4000");

        HttpResponse<String> huge = send("POST", path, token, "{\"text\": \"" + "a".repeat(200_000) + "\"}");
        assertThat(huge.statusCode()).isEqualTo(413);

        // a form body (curl -d without a type, or another site's form) is named as the mistake it is, whatever its size
        for (String form : List.of("text=hi&clientMessageId=x", "text=" + "a".repeat(3000) + "&clientMessageId=x")) {
            HttpResponse<String> formPost = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(formPost.statusCode()).isEqualTo(415);
            assertThat(error(formPost).getString("code")).isEqualTo("json_required");
        }

        HttpResponse<String> wrongToken = send("POST", path, "not-the-token",
                new JsonObject().put("text", "hi").put("clientMessageId", "x").encode());
        assertThat(wrongToken.statusCode()).isEqualTo(401);

        HttpResponse<String> unknown = send("POST", "/api/v1/conversations/" + UUID.randomUUID() + "/messages", token,
                new JsonObject().put("text", "hi").put("clientMessageId", "x").encode());
        assertThat(unknown.statusCode()).isEqualTo(404);

        HttpResponse<String> transcript = send("GET", path, token, null);
        assertThat(new JsonObject(transcript.body()).getJsonArray("messages")).isEmpty();
        assertThat(send("GET", path, null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void queryPunctuationNeverBreaksTheChat() throws Exception {
        JsonObject conversation = open();
        String[] hostile = {"Can I pause my plan for 1/2 month?", "pricing (annual", "what does \"pro+ plan\" include?",
                "error code [E42]", "AND", "refund: how?", "C++ SDK", "!!!", "title:foo*~2^9"};
        for (String text : hostile) {
            HttpResponse<String> response = send("POST", messages(conversation), conversation.getString("token"),
                    new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).encode());
            assertThat(response.statusCode()).as(text).isEqualTo(200);
        }
    }

    @Test
    void servesTheDemoPageAndHealthChecks() throws Exception {
        assertThat(send("GET", "/", null, null).body()).contains("widget.js");
        assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/health/ready", null, null).statusCode()).isEqualTo(200);
    }
}

package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Outside business hours a hand-off says so, even with an agent online, and asks for an address. */
class OutOfHoursTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static KeelServer server;
    private static String agentToken;

    @BeforeAll
    static void start() throws Exception {
        // opening and closing at the same minute: never open
        TestKeel.Running running = TestKeel.start(EscalationConfig.from(Map.of("KEEL_BUSINESS_HOURS", "Mon-Sun 00:00-00:00 UTC"), 0.45));
        server = running.server();
        agentToken = running.agentToken();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonObject call(String method, String path, String token, JsonObject body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").header(AgentApi.AGENT_HEADER, "ann")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 201);
        return new JsonObject(response.body());
    }

    @Test
    void theCustomerIsToldThatTheTeamIsAwayAndCanLeaveAnAddress() throws Exception {
        call("POST", "/api/v1/agent/presence", agentToken, new JsonObject().put("name", "Ann"));
        JsonObject conversation = call("POST", "/api/v1/conversations", null, new JsonObject());
        String id = conversation.getString("conversationId");
        String token = conversation.getString("token");
        JsonObject reply = call("POST", "/api/v1/conversations/" + id + "/messages", token,
                new JsonObject().put("text", "I want to talk to a person").put("clientMessageId", "m1")).getJsonObject("reply");
        assertThat(reply.getString("decision")).isEqualTo("HANDOFF");
        assertThat(reply.getString("text")).contains("outside its working hours").contains("email address");

        JsonObject status = call("GET", "/api/v1/conversations/" + id + "/status", token, null);
        assertThat(status.getBoolean("open")).isFalse();
        assertThat(status.getBoolean("askForContact")).isTrue();
        assertThat(status.getInteger("agentsOnline")).isEqualTo(1);
        assertThat(status.containsKey("expectedWaitMinutes")).isFalse();

        call("POST", "/api/v1/conversations/" + id + "/contact", token, new JsonObject().put("email", "ann.customer@example.com"));
        assertThat(call("GET", "/api/v1/conversations/" + id + "/status", token, null).getBoolean("followUpRequested")).isTrue();
    }
}

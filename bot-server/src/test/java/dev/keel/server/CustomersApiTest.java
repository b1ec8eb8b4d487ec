package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code PUT /api/v1/customers/{id}} on the real server (embedded Redis with its append-only file) trained on a
 * table of another shape: the record is checked, stored, rescored, used by the chat, and still used after a restart.
 */
class CustomersApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path ROOT = Path.of(System.getProperty("keel.root", ".."));
    private KeelServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The token of the CRM, which updates customer records machine to machine. */
    private static final String CRM_TOKEN = "customers-test-service-token";

    private KeelServer start(Path data) throws Exception {
        IdentityTokens tokens = new IdentityTokens(Files.createDirectories(data.resolve("identity")));
        return KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, ROOT.resolve("knowledge-base/articles"),
                        ROOT.resolve("churn/src/test/resources/subscribers.csv"), "subscriber_ref", "cancelled", "true", data,
                        null, "everysec", 0.45),
                SecuredKeel.settings(tokens.secretFile, tokens.keysFile, IdentityTokens.AUDIENCE, List.of(), 0, Duration.ofSeconds(60)),
                Map.of("KEEL_AGENT_TOKEN", CRM_TOKEN));
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject record(String tier, int logins, int tickets, int failed, String survey) {
        return new JsonObject().put("plan_tier", tier).put("region", "north").put("monthly_fee", 19.5)
                .put("logins_30d", logins).put("tickets_30d", tickets).put("failed_payments_90d", failed)
                .put("always_zero", 0).put("signup_channel", "web").put("last_survey_score", survey);
    }

    private JsonArray reasonsWhenCancelling(String customerId) throws Exception {
        JsonObject conversation = new JsonObject(send("POST", "/api/v1/conversations", null,
                new JsonObject().put("customerId", customerId).put("identityToken",
                        IdentityTokens.hs256(IdentityTokens.SECRET, customerId, IdentityTokens.AUDIENCE, Duration.ofMinutes(5))).encode()).body());
        HttpResponse<String> reply = send("POST", "/api/v1/conversations/" + conversation.getString("conversationId")
                + "/messages", conversation.getString("token"), new JsonObject().put("text", "I want to cancel my contract.")
                .put("clientMessageId", UUID.randomUUID().toString()).encode());
        return new JsonObject(reply.body()).getJsonObject("reply").getJsonArray("reasons");
    }

    @Test
    void aCustomerRecordIsStoredRescoredUsedByTheChatAndKeptAcrossARestart() throws Exception {
        Path data = Files.createTempDirectory("keel-customers");
        server = start(data);

        HttpResponse<String> risky = send("PUT", "/api/v1/customers/S-0001", CRM_TOKEN,
                record("basic", 0, 4, 3, null).encode());
        assertThat(risky.statusCode()).isEqualTo(200);
        JsonObject risk = new JsonObject(risky.body()).getJsonObject("risk");
        assertThat(risk.getString("band")).isEqualTo("HIGH");
        assertThat(risk.getJsonArray("factors")).isNotEmpty();
        assertThat(reasonsWhenCancelling("S-0001")).contains("CHURN_RISK_HIGH");

        HttpResponse<String> newcomer = send("PUT", "/api/v1/customers/CRM-42", CRM_TOKEN,
                record("pro", 40, 0, 0, "5").encode());
        assertThat(new JsonObject(newcomer.body()).getJsonObject("risk").getString("band")).isEqualTo("LOW");
        assertThat(reasonsWhenCancelling("CRM-42")).contains("CHURN_RISK_LOW");

        server.close();
        server = start(data);
        assertThat(reasonsWhenCancelling("S-0001")).contains("CHURN_RISK_HIGH");
        assertThat(reasonsWhenCancelling("CRM-42")).contains("CHURN_RISK_LOW");
    }

    @Test
    void onlyTheServiceTokenOrAnAdminMayReplaceARecord() throws Exception {
        server = start(Files.createTempDirectory("keel-customers"));
        String record = record("basic", 0, 0, 0, "3").encode();
        assertThat(send("PUT", "/api/v1/customers/CRM-9", null, record).statusCode()).isEqualTo(401);
        assertThat(send("PUT", "/api/v1/customers/CRM-9", "not-the-token", record).statusCode()).isEqualTo(401);
    }

    @Test
    void aRecordThatDoesNotFitIsRefusedNamingTheColumnAndStoresNothing() throws Exception {
        server = start(Files.createTempDirectory("keel-customers"));
        JsonObject notANumber = record("basic", 0, 0, 0, "3").put("tickets_30d", "lots");
        HttpResponse<String> bad = send("PUT", "/api/v1/customers/CRM-7", CRM_TOKEN, notANumber.encode());
        assertThat(bad.statusCode()).isEqualTo(400);
        JsonObject error = new JsonObject(bad.body()).getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("invalid_record");
        assertThat(error.getString("message")).contains("tickets_30d");

        JsonObject unknownColumn = record("basic", 0, 0, 0, "3").put("shoe_size", 44);
        assertThat(send("PUT", "/api/v1/customers/CRM-7", CRM_TOKEN, unknownColumn.encode()).body()).contains("shoe_size");
        JsonObject unseen = record("diamond", 0, 0, 0, "3");
        assertThat(send("PUT", "/api/v1/customers/CRM-7", CRM_TOKEN, unseen.encode()).body()).contains("plan_tier");
        JsonObject nested = record("basic", 0, 0, 0, "3").put("region", new JsonObject());
        assertThat(send("PUT", "/api/v1/customers/CRM-7", CRM_TOKEN, nested.encode()).body()).contains("region");
        assertThat(send("PUT", "/api/v1/customers/CRM-7", CRM_TOKEN, "[1]").statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/api/v1/customers/bad%20id", CRM_TOKEN, "{}").statusCode()).isEqualTo(400);

        assertThat(reasonsWhenCancelling("CRM-7")).contains("CHURN_RISK_UNKNOWN");
        assertThat(send("GET", "/health/ready", null, null).statusCode()).isEqualTo(200);
    }
}

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin article API on a real server, over a copy of a few bundled articles (the bundled
 * folder itself is never written): edits are searchable by the chat at once, conflicts are 409,
 * bad fields are 400 naming the field.
 */
class AdminArticlesApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BASE = "/api/v1/admin/articles";
    private static KeelServer server;
    private static final String ADMIN_PASSWORD = "admin-articles-test-password";
    /** The admin's session cookie and its CSRF token. */
    private static String cookie;
    private static String csrf;

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of(System.getProperty("keel.root", ".."));
        Path work = Files.createTempDirectory("keel-admin");
        Path articles = Files.createDirectories(work.resolve("articles"));
        for (String id : List.of("lk-pause-plan", "lk-refunds", "lk-moving-house")) {
            Files.copy(root.resolve("knowledge-base/articles/" + id + ".md"), articles.resolve(id + ".md"));
        }
        Path data = work.resolve("data");
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, articles,
                root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", data, null, "everysec", 0.45),
                SecuritySettings.defaults(), Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD));
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("name", "admin").put("password", ADMIN_PASSWORD).encode()))
                .build(), HttpResponse.BodyHandlers.ofString());
        cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        csrf = new JsonObject(login.body()).getString("csrfToken");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").header("Cookie", cookie).header(ConsoleAuth.CSRF_HEADER, csrf)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject article(String id, String body, String status) {
        return new JsonObject().put("id", id).put("title", "Loyalty voucher").put("locale", "en")
                .put("tags", new JsonArray().add("billing")).put("status", status).put("body", body);
    }

    private static JsonObject ask(String question) throws Exception {
        HttpResponse<String> opened = send("POST", "/api/v1/conversations", "{}");
        JsonObject conversation = new JsonObject(opened.body());
        HttpResponse<String> reply = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages"))
                .header("Authorization", "Bearer " + conversation.getString("token"))
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("text", question).put("clientMessageId", "m1").encode()))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(reply.body()).getJsonObject("reply");
    }

    private static List<String> cited(JsonObject reply) {
        return reply.getJsonArray("citations").stream().map(c -> ((JsonObject) c).getString("articleId")).toList();
    }

    @Test
    void aPublishedArticleIsAnsweredFromAtOnceAndAnEditReplacesIt() throws Exception {
        HttpResponse<String> created = send("POST", BASE,
                article("loyalty-voucher", "Loyal customers get a voucher worth 30 euros every winter.", "draft").encode());
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("ETag")).contains("\"1\"");
        assertThat(cited(ask("How much is the loyalty voucher worth?"))).doesNotContain("loyalty-voucher");

        HttpResponse<String> published = send("POST", BASE + "/loyalty-voucher/publish", null, "If-Match", "\"1\"");
        assertThat(published.statusCode()).isEqualTo(200);
        JsonObject reply = ask("How much is the loyalty voucher worth?");
        assertThat(cited(reply)).first().isEqualTo("loyalty-voucher");

        HttpResponse<String> edited = send("PUT", BASE + "/loyalty-voucher",
                article("loyalty-voucher", "Loyal customers get a voucher worth 15 euros every winter.", "published").encode(),
                "If-Match", "\"2\"");
        assertThat(edited.statusCode()).isEqualTo(200);
        assertThat(ask("How much is the loyalty voucher worth?").getString("text")).contains("15 euros").doesNotContain("30 euros");

        JsonObject revisions = new JsonObject(send("GET", BASE + "/loyalty-voucher/revisions", null).body());
        assertThat(revisions.getJsonArray("revisions").size()).isEqualTo(2);
        HttpResponse<String> reverted = send("POST", BASE + "/loyalty-voucher/revert", new JsonObject().put("toVersion", 2).encode(),
                "If-Match", "\"3\"");
        assertThat(reverted.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(reverted.body()).getString("body")).contains("30 euros");

        assertThat(send("DELETE", BASE + "/loyalty-voucher", null, "If-Match", "\"4\"").statusCode()).isEqualTo(204);
        assertThat(cited(ask("How much is the loyalty voucher worth?"))).doesNotContain("loyalty-voucher");
        assertThat(send("GET", BASE + "/loyalty-voucher", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aChangeBasedOnAnOldVersionIsAConflict() throws Exception {
        assertThat(send("POST", BASE, article("conflict-demo", "First text.", "draft").encode()).statusCode()).isEqualTo(201);
        assertThat(send("PUT", BASE + "/conflict-demo", article("conflict-demo", "Second text.", "draft").encode(),
                "If-Match", "\"1\"").statusCode()).isEqualTo(200);
        HttpResponse<String> late = send("PUT", BASE + "/conflict-demo", article("conflict-demo", "Late text.", "draft").encode(),
                "If-Match", "\"1\"");
        assertThat(late.statusCode()).isEqualTo(409);
        assertThat(new JsonObject(late.body()).getJsonObject("error").getString("code")).isEqualTo("version_conflict");
        assertThat(send("POST", BASE, article("conflict-demo", "Again.", "draft").encode()).statusCode()).isEqualTo(409);
        assertThat(new JsonObject(send("GET", BASE + "/conflict-demo", null).body()).getString("body")).isEqualTo("Second text.");
    }

    @Test
    void badFieldsAreNamed() throws Exception {
        assertThat(errorCode(send("POST", BASE, article("../escape", "x", "draft").encode()))).isEqualTo("invalid_id");
        assertThat(errorCode(send("POST", BASE, article("ok-id", "x", "draft").put("title", 42).encode()))).isEqualTo("invalid_title");
        assertThat(errorCode(send("POST", BASE, article("ok-id", "x", "maybe").encode()))).isEqualTo("invalid_status");
        assertThat(errorCode(send("POST", BASE, article("ok-id", "x", "draft").put("tags", "billing").encode()))).isEqualTo("invalid_tags");
        assertThat(errorCode(send("POST", BASE, article("ok-id", "x", "draft").put("url", "ftp://x").encode()))).isEqualTo("invalid_url");
        assertThat(errorCode(send("POST", BASE, "{not json"))).isEqualTo("malformed_json");
        assertThat(errorCode(send("PUT", BASE + "/lk-refunds", article("lk-refunds", "x", "draft").encode()))).isEqualTo("invalid_version");
        assertThat(send("GET", BASE + "/ok-id", null).statusCode()).isEqualTo(404);
    }

    @Test
    void listsArePagedAndFiltered() throws Exception {
        JsonObject all = new JsonObject(send("GET", BASE + "?size=2", null).body());
        assertThat(all.getJsonArray("articles").size()).isEqualTo(2);
        assertThat(all.getInteger("total")).isGreaterThanOrEqualTo(3);
        JsonObject filtered = new JsonObject(send("GET", BASE + "?text=pause&status=published", null).body());
        assertThat(filtered.getJsonArray("articles").stream().map(a -> ((JsonObject) a).getString("id")).toList()).contains("lk-pause-plan");
        assertThat(errorCode(send("GET", BASE + "?size=1000", null))).isEqualTo("invalid_size");
    }

    @Test
    void adminRoutesNeedAnAdmin() throws Exception {
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + BASE)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    private static String errorCode(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        return new JsonObject(response.body()).getJsonObject("error").getString("code");
    }
}

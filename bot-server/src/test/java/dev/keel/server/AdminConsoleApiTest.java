package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

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
 * The admin console's routes on a real server with a Redis of the test's own and a copy of a few
 * bundled articles: only admins get in, bad input is 400 naming the field, the preview is
 * sanitized, an import is all or nothing, trying the bot stores nothing, a settings change applies
 * to the next turn, and the reports count a small scripted set of conversations.
 */
class AdminConsoleApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String ADMIN_PASSWORD = "admin-console-test-password";
    private static final String AGENT_PASSWORD = "agent-console-test-password";
    private static final String ARTICLES = "/api/v1/admin/articles";
    private static final String SETTINGS = "/api/v1/admin/settings/escalation";

    /** A signed-in account: its session cookie and CSRF token. */
    private record Session(String cookie, String csrf) {
    }

    private static EmbeddedRedis redis;
    private static KeelServer server;
    private static Session admin;
    private static Session agent;

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of(System.getProperty("keel.root", ".."));
        Path work = Files.createTempDirectory("keel-admin-console");
        Path articles = Files.createDirectories(work.resolve("articles"));
        for (String id : List.of("lk-pause-plan", "lk-refunds", "lk-moving-house")) {
            Files.copy(root.resolve("knowledge-base/articles/" + id + ".md"), articles.resolve(id + ".md"));
        }
        redis = EmbeddedRedis.start(work.resolve("own-redis"), "everysec");
        SecuritySettings d = SecuritySettings.defaults();
        // customer ids are believed as claimed, so that the reports see churn scores without identity tokens
        SecuritySettings security = new SecuritySettings(null, null, d.identityAudience(), false, true, false,
                d.conversationTokenTtl(), d.sessionTtl(), d.secureCookies(), List.of(), 0, 0, 0, d.idleTimeout(), List.of());
        server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, articles,
                root.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", work.resolve("data"),
                redis.url(), "everysec", 0.45), security, Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD));
        admin = signIn("admin", ADMIN_PASSWORD);
        HttpResponse<String> created = send(admin, "POST", "/api/v1/admin/users", new JsonObject().put("name", "ada")
                .put("password", AGENT_PASSWORD).put("role", "agent").encode());
        assertThat(created.statusCode()).isEqualTo(201);
        agent = signIn("ada", AGENT_PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void resetSettings() throws Exception {
        assertThat(send(admin, "DELETE", SETTINGS, null).statusCode()).isEqualTo(200);
    }

    @Test
    void everyNewRouteRefusesAnAgentSession() throws Exception {
        String[][] routes = {
                {"POST", ARTICLES + "/preview", "{\"body\":\"# Hi\"}"},
                {"POST", ARTICLES + "/import", "{\"files\":[]}"},
                {"POST", "/api/v1/admin/try", "{\"question\":\"How do I pause my plan?\"}"},
                {"GET", SETTINGS, null},
                {"PUT", SETTINGS, "{\"thresholds\":{\"frustrationThreshold\":0.5}}"},
                {"DELETE", SETTINGS, null},
                {"GET", "/api/v1/admin/prompts", null},
                {"GET", "/api/v1/admin/reports?days=7", null}};
        for (String[] route : routes) {
            HttpResponse<String> response = send(agent, route[0], route[1], route[2]);
            assertThat(response.statusCode()).as(route[0] + " " + route[1]).isEqualTo(403);
            assertThat(error(response).getString("code")).isEqualTo("forbidden");
            assertThat(send(null, route[0], route[1], route[2]).statusCode()).as("signed out " + route[1]).isEqualTo(401);
        }
        assertThat(send(admin, "GET", SETTINGS, null).statusCode()).isEqualTo(200);
        HttpResponse<String> noCsrf = send(new Session(admin.cookie(), "wrong"), "PUT", SETTINGS, "{\"thresholds\":{}}");
        assertThat(error(noCsrf).getString("code")).isEqualTo("csrf_token_invalid");
    }

    @Test
    void previewDropsScriptsEventHandlersJavascriptLinksAndForeignImages() throws Exception {
        String markdown = """
                # Heading

                Some **bold** text and a [good link](https://example.com/help).

                <img src=x onerror="window.__pwn=1">
                <script>window.__pwn=1</script>

                [click](javascript:window.__pwn=1) and <a href="javascript:alert(1)" onclick="alert(2)">raw</a>

                ![remote](https://evil.example/pixel.png) ![local](/images/router.png)
                """;
        HttpResponse<String> response = send(admin, "POST", ARTICLES + "/preview", new JsonObject().put("body", markdown).encode());
        assertThat(response.statusCode()).isEqualTo(200);
        String html = new JsonObject(response.body()).getString("html");
        assertThat(html).contains("<h1>Heading</h1>", "<strong>bold</strong>", "href=\"https://example.com/help\"",
                "src=\"/images/router.png\"");
        assertThat(html).containsPattern("rel=\"(nofollow noopener|noopener nofollow)\"");
        assertThat(html.toLowerCase()).doesNotContain("<script", "onerror", "onclick", "javascript:", "evil.example");

        assertThat(error(send(admin, "POST", ARTICLES + "/preview", "{}")).getString("code")).isEqualTo("invalid_body");
        assertThat(error(send(admin, "POST", ARTICLES + "/preview", "{\"body\":5}")).getString("code")).isEqualTo("invalid_body");
    }

    @Test
    void importIsAllOrNothingAndNamesTheFileAndField() throws Exception {
        JsonObject good = file("voucher.md", "lk-import-voucher", "Loyalty voucher", "A loyalty voucher of 15 pounds comes every March.");
        JsonObject badTitle = new JsonObject().put("name", "broken.md").put("content", "---\nid: lk-import-broken\ntitle: \"\"\n---\nBody");
        JsonObject badLocale = new JsonObject().put("name", "locale.md")
                .put("content", "---\nid: lk-import-locale\ntitle: Locale\nlocale: \"not a locale!\"\n---\nBody");
        HttpResponse<String> refused = send(admin, "POST", ARTICLES + "/import",
                new JsonObject().put("files", new JsonArray().add(good).add(badTitle).add(badLocale)).encode());
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonObject error = error(refused);
        assertThat(error.getString("code")).isEqualTo("invalid_import");
        assertThat(error.getString("message")).contains("broken.md", "'title'", "locale.md", "'locale'").doesNotContain("voucher.md");
        assertThat(send(admin, "GET", ARTICLES + "/lk-import-voucher", null).statusCode()).isEqualTo(404);

        JsonObject duplicate = file("again.md", "lk-import-voucher", "Voucher again", "Same id.");
        HttpResponse<String> duplicated = send(admin, "POST", ARTICLES + "/import",
                new JsonObject().put("files", new JsonArray().add(good).add(duplicate)).encode());
        assertThat(error(duplicated).getString("message")).contains("again.md", "'id'", "voucher.md");
        assertThat(send(admin, "GET", ARTICLES + "/lk-import-voucher", null).statusCode()).isEqualTo(404);

        JsonObject second = file("pause.md", "lk-pause-plan", "Pause your plan", "Plans can be paused for up to 77 days.");
        HttpResponse<String> imported = send(admin, "POST", ARTICLES + "/import",
                new JsonObject().put("files", new JsonArray().add(good).add(second)).encode());
        assertThat(imported.statusCode()).isEqualTo(200);
        JsonArray results = new JsonObject(imported.body()).getJsonArray("imported");
        assertThat(results.getJsonObject(0).getBoolean("created")).isTrue();
        assertThat(results.getJsonObject(1).getBoolean("created")).isFalse();
        assertThat(results.getJsonObject(1).getInteger("version")).isGreaterThan(1);
        assertThat(send(admin, "GET", ARTICLES + "/lk-import-voucher", null).statusCode()).isEqualTo(200);

        assertThat(error(send(admin, "POST", ARTICLES + "/import", "{\"files\":[]}")).getString("code")).isEqualTo("invalid_files");
        assertThat(error(send(admin, "POST", ARTICLES + "/import", "{\"files\":[{\"name\":\"a.md\"}]}")).getString("message"))
                .contains("files[0]");
    }

    @Test
    void tryingTheBotShowsPassagesAndDecisionAndStoresNothing() throws Exception {
        long keys;
        long stream;
        long audit;
        try (Jedis jedis = jedis()) {
            keys = jedis.dbSize();
            stream = jedis.exists(Store.AUDIT) ? jedis.xlen(Store.AUDIT) : 0;
            audit = jedis.llen("keel:admin-audit");
        }
        HttpResponse<String> response = send(admin, "POST", "/api/v1/admin/try",
                new JsonObject().put("question", "How do I pause my plan?").put("customerId", "7590-VHVEG").encode());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject result = new JsonObject(response.body());
        assertThat(result.getString("decision")).isEqualTo("ANSWER");
        assertThat(result.getJsonArray("reasons")).contains("ANSWERED_FROM_KNOWLEDGE_BASE");
        JsonObject top = result.getJsonArray("passages").getJsonObject(0);
        assertThat(top.getString("articleId")).isEqualTo("lk-pause-plan");
        assertThat(top.getDouble("score")).isPositive();
        assertThat(top.getString("text")).isNotBlank();
        assertThat(result.getJsonObject("signals").getString("intent")).isEqualTo("other");
        assertThat(result.getJsonObject("signals").getString("riskBand")).isNotEqualTo("UNKNOWN");
        assertThat(result.getJsonObject("reply").getString("text")).isNotBlank();

        HttpResponse<String> human = send(admin, "POST", "/api/v1/admin/try", "{\"question\":\"I want to talk to a real person\"}");
        assertThat(new JsonObject(human.body()).getString("decision")).isEqualTo("HANDOFF");
        try (Jedis jedis = jedis()) {
            assertThat(jedis.dbSize()).isEqualTo(keys);
            assertThat(jedis.exists(Store.AUDIT) ? jedis.xlen(Store.AUDIT) : 0).isEqualTo(stream);
            assertThat(jedis.llen("keel:admin-audit")).isEqualTo(audit);
            assertThat(jedis.zcard(Store.QUEUE)).isZero();
        }
        assertThat(error(send(admin, "POST", "/api/v1/admin/try", "{}")).getString("code")).isEqualTo("missing_question");
        assertThat(error(send(admin, "POST", "/api/v1/admin/try", "{\"question\":\"hi\",\"customerId\":\"<b>\"}"))
                .getString("code")).isEqualTo("invalid_customer_id");
    }

    @Test
    void settingsAreValidatedNamingTheField() throws Exception {
        assertThat(codeOfPut(new JsonObject().put("thresholds", new JsonObject().put("frustrationThreshold", 1.5))))
                .isEqualTo("invalid_frustration_threshold");
        assertThat(codeOfPut(new JsonObject().put("thresholds", new JsonObject().put("repeatsBeforeHandoff", 2.5))))
                .isEqualTo("invalid_repeats_before_handoff");
        assertThat(codeOfPut(new JsonObject().put("thresholds", new JsonObject().put("minAnswerability", "high"))))
                .isEqualTo("invalid_min_answerability");
        assertThat(codeOfPut(new JsonObject().put("thresholds", new JsonObject().put("patience", 3)))).isEqualTo("invalid_thresholds");
        assertThat(codeOfPut(new JsonObject().put("colour", "blue"))).isEqualTo("invalid_settings");
        JsonArray badBand = new JsonArray().add(new JsonObject().put("band", "PURPLE").put("intent", "*")
                .put("steps", new JsonArray().add("Say hello.")));
        HttpResponse<String> refused = send(admin, "PUT", SETTINGS, new JsonObject().put("playbooks", badBand).encode());
        assertThat(error(refused).getString("code")).isEqualTo("invalid_playbooks");
        assertThat(error(refused).getString("message")).contains("playbooks[0].band");

        JsonObject view = new JsonObject(send(admin, "GET", SETTINGS, null).body());
        assertThat(view.getLong("version")).isZero();
        assertThat(view.getJsonObject("thresholds")).isEqualTo(view.getJsonObject("defaults").getJsonObject("thresholds"));
        HttpResponse<String> first = send(admin, "PUT", SETTINGS, new JsonObject().put("version", 0)
                .put("thresholds", new JsonObject().put("frustrationThreshold", 0.7)).encode());
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<String> stale = send(admin, "PUT", SETTINGS, new JsonObject().put("version", 0)
                .put("thresholds", new JsonObject().put("frustrationThreshold", 0.8)).encode());
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(error(stale).getString("code")).isEqualTo("version_conflict");
    }

    @Test
    void aSettingsChangeAppliesToTheNextTurnAndIsAudited() throws Exception {
        JsonObject before = ask(open(null), "How do I pause my plan?");
        assertThat(before.getJsonArray("reasons")).contains("ANSWERED_FROM_KNOWLEDGE_BASE");

        JsonArray playbooks = new JsonArray().add(new JsonObject().put("band", "*").put("intent", "*")
                .put("steps", new JsonArray().add("Offer the customer a cup of tea.")));
        HttpResponse<String> changed = send(admin, "PUT", SETTINGS, new JsonObject().put("thresholds",
                new JsonObject().put("minAnswerability", 0.99).put("offTopicBelow", 0.0)).put("playbooks", playbooks).encode());
        assertThat(changed.statusCode()).isEqualTo(200);
        JsonObject view = new JsonObject(changed.body());
        assertThat(view.getJsonObject("thresholds").getDouble("minAnswerability")).isEqualTo(0.99);
        assertThat(view.getJsonObject("defaults").getJsonObject("thresholds").getDouble("minAnswerability")).isEqualTo(0.45);
        assertThat(view.getString("updatedBy")).isEqualTo("admin");

        JsonObject after = ask(open(null), "How do I pause my plan?");
        assertThat(after.getJsonArray("reasons")).contains("NOT_IN_KNOWLEDGE_BASE");

        JsonObject waiting = open(null);
        ask(waiting, "I want to talk to a human");
        HttpResponse<String> claimed = send(agent, "POST", "/api/v1/agent/conversations/" + waiting.getString("conversationId")
                + "/claim", "{}");
        assertThat(claimed.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(claimed.body()).getJsonObject("playbook").getJsonArray("steps"))
                .containsExactly("Offer the customer a cup of tea.");

        JsonObject entry = new JsonObject(send(admin, "GET", "/api/v1/admin/audit", null).body()).getJsonArray("entries").getJsonObject(0);
        assertThat(entry.getString("action")).isEqualTo("settings.escalation.update");
        assertThat(entry.getString("actor")).isEqualTo("admin");
        assertThat(entry.getJsonObject("details").getJsonObject("after").getDouble("minAnswerability")).isEqualTo(0.99);
        assertThat(entry.getJsonObject("details").getBoolean("playbooksChanged")).isTrue();

        try (Jedis jedis = jedis()) {
            assertThat(jedis.hget(EscalationSettings.KEY, "version")).isEqualTo("1");
        }
    }

    @Test
    void reportsCountAScriptedSetOfConversations() throws Exception {
        try (Jedis jedis = jedis()) {
            jedis.del(Store.AUDIT);
        }
        JsonObject answered = open(null);
        assertThat(ask(answered, "How do I pause my plan?").getString("decision")).isEqualTo("ANSWER");
        JsonObject handedOver = open(null);
        assertThat(ask(handedOver, "I want to talk to a human").getString("decision")).isEqualTo("HANDOFF");
        assertThat(send(agent, "POST", "/api/v1/agent/conversations/" + handedOver.getString("conversationId") + "/claim", "{}")
                .statusCode()).isEqualTo(200);
        // nothing is covered from here on, and nothing counts as off-topic: every question below fails
        send(admin, "PUT", SETTINGS, new JsonObject().put("thresholds",
                new JsonObject().put("minAnswerability", 0.99).put("offTopicBelow", 0.0)).encode());
        ask(open("7590-VHVEG"), "Can I pay my bill with Bitcoin?");
        ask(open("5575-GNVDE"), "can i pay my bill with bitcoin");
        ask(open(null), "Is there a student discount?");
        // one customer each: the one who carries churn risk ranks first
        ask(open("7590-VHVEG"), "Do you sell gift cards?");
        try (Jedis jedis = jedis()) {
            jedis.xadd(Store.AUDIT, StreamEntryID.NEW_ENTRY, Map.of("event", "rating",
                    "conversationId", answered.getString("conversationId"), "score", "4"));
            jedis.xadd(Store.AUDIT, StreamEntryID.NEW_ENTRY, Map.of("event", "rating",
                    "conversationId", answered.getString("conversationId"), "score", "5"));
            jedis.xadd(Store.AUDIT, StreamEntryID.NEW_ENTRY, Map.of("event", "rating",
                    "conversationId", handedOver.getString("conversationId"), "score", "2"));
        }

        HttpResponse<String> response = send(admin, "GET", "/api/v1/admin/reports?days=1", null);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject report = new JsonObject(response.body());
        assertThat(report.getInteger("conversations")).isEqualTo(6);
        assertThat(report.getInteger("handedOff")).isEqualTo(1);
        assertThat(report.getDouble("botResolvedShare")).isEqualTo(0.8333);
        assertThat(report.getJsonArray("handoffsByReason").getJsonObject(0))
                .isEqualTo(new JsonObject().put("reason", "INTENT_HUMAN").put("count", 1));
        JsonObject satisfaction = report.getJsonObject("satisfaction");
        assertThat(satisfaction.getInteger("ratings")).isEqualTo(2);
        assertThat(satisfaction.getDouble("average")).isEqualTo(3.5);
        JsonObject time = report.getJsonObject("timeToAgent");
        assertThat(time.getInteger("claimed")).isEqualTo(1);
        assertThat(time.getInteger("waiting")).isZero();
        assertThat(time.getDouble("medianSeconds")).isNotNull();
        JsonObject churn = report.getJsonObject("churnRisk");
        assertThat(churn.getInteger("customers")).isEqualTo(5);
        int known = churn.getJsonArray("histogram").stream().mapToInt(b -> ((JsonObject) b).getInteger("count")).sum();
        assertThat(known).isEqualTo(2);
        JsonArray failed = report.getJsonArray("failedQuestions");
        assertThat(failed).hasSize(3);
        JsonObject top = failed.getJsonObject(0);
        assertThat(top.getString("question")).isEqualTo("Can I pay my bill with Bitcoin?");
        assertThat(top.getInteger("customers")).isEqualTo(2);
        assertThat(top.getInteger("asked")).isEqualTo(2);
        assertThat(top.getDouble("churnRisk")).isPositive();
        assertThat(top.getJsonArray("reasons")).contains("NOT_IN_KNOWLEDGE_BASE");
        assertThat(failed.getJsonObject(1).getString("question")).isEqualTo("Do you sell gift cards?");
        assertThat(failed.getJsonObject(1).getInteger("customers")).isEqualTo(1);
        assertThat(failed.getJsonObject(1).getDouble("churnRisk")).isPositive();
        assertThat(failed.getJsonObject(2).getString("question")).isEqualTo("Is there a student discount?");
        assertThat(failed.getJsonObject(2).getDouble("churnRisk")).isZero();

        assertThat(error(send(admin, "GET", "/api/v1/admin/reports?days=0", null)).getString("code")).isEqualTo("invalid_days");
        assertThat(error(send(admin, "GET", "/api/v1/admin/reports?days=x", null)).getString("code")).isEqualTo("invalid_days");
    }

    @Test
    void promptsAreListedWithNamesVersionsAndText() throws Exception {
        JsonArray prompts = new JsonObject(send(admin, "GET", "/api/v1/admin/prompts", null).body()).getJsonArray("prompts");
        JsonObject system = prompts.stream().map(JsonObject.class::cast).filter(p -> p.getString("name").equals("llm-system"))
                .findFirst().orElseThrow();
        assertThat(system.getString("version")).startsWith("llm-system@");
        assertThat(system.getString("text")).contains("{canary}");
        assertThat(system.getJsonArray("placeholders")).containsExactly("canary");
        assertThat(prompts.size()).isEqualTo(Templates.REQUIRED.size());
    }

    private static String codeOfPut(JsonObject body) throws Exception {
        HttpResponse<String> response = send(admin, "PUT", SETTINGS, body.encode());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        return error(response).getString("code");
    }

    private static JsonObject file(String name, String id, String title, String body) {
        return new JsonObject().put("name", name).put("content", "---\nid: " + id + "\ntitle: \"" + title
                + "\"\nstatus: published\n---\n" + body + "\n");
    }

    private static JsonObject open(String customerId) throws Exception {
        JsonObject body = customerId == null ? new JsonObject() : new JsonObject().put("customerId", customerId);
        HttpResponse<String> opened = send(null, "POST", "/api/v1/conversations", body.encode());
        assertThat(opened.statusCode()).isEqualTo(201);
        return new JsonObject(opened.body());
    }

    private static JsonObject ask(JsonObject conversation, String text) throws Exception {
        HttpResponse<String> reply = send(null, "POST", "/api/v1/conversations/" + conversation.getString("conversationId")
                        + "/messages", new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).encode(),
                "Authorization", "Bearer " + conversation.getString("token"));
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
        return new JsonObject(reply.body()).getJsonObject("reply");
    }

    private static Session signIn(String name, String password) throws Exception {
        HttpResponse<String> login = send(null, "POST", "/api/v1/auth/login",
                new JsonObject().put("name", name).put("password", password).encode());
        assertThat(login.statusCode()).isEqualTo(200);
        return new Session(login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0],
                new JsonObject(login.body()).getString("csrfToken"));
    }

    private static HttpResponse<String> send(Session session, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("Cookie", session.cookie()).header(ConsoleAuth.CSRF_HEADER, session.csrf());
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject error(HttpResponse<String> response) {
        return new JsonObject(response.body()).getJsonObject("error");
    }

    private static Jedis jedis() {
        return new Jedis(URI.create(redis.url()));
    }
}

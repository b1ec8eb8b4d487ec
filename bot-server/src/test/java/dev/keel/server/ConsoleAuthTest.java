package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Agent and admin sign-in, roles on every console route, CSRF, the sign-in throttle and the audit log. */
class ConsoleAuthTest {
    private static final String ADMIN_PASSWORD = "first-admin-password-123";
    private static final String SERVICE_TOKEN = "console-test-service-token";
    private static SecuredKeel keel;

    @BeforeAll
    static void start() throws Exception {
        keel = SecuredKeel.start(SecuredKeel.settings(null, null, "keel", List.of("https://shop-a.example.test"), 0,
                Duration.ofSeconds(60)), Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD, "KEEL_AGENT_TOKEN", SERVICE_TOKEN));
    }

    @AfterAll
    static void stop() {
        if (keel != null) {
            keel.close();
        }
    }

    /** A signed-in session: its cookie and its CSRF token. */
    private record Session(String cookie, String csrf) {
    }

    private static Session signIn(String name, String password) throws Exception {
        HttpResponse<String> response = keel.send("POST", "/api/v1/auth/login",
                new JsonObject().put("name", name).put("password", password).encode());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String setCookie = response.headers().firstValue("Set-Cookie").orElseThrow();
        return new Session(setCookie.split(";", 2)[0], new JsonObject(response.body()).getString("csrfToken"));
    }

    private static HttpResponse<String> as(Session session, String method, String path, String body) throws Exception {
        return keel.send(method, path, body, "Cookie", session.cookie(), ConsoleAuth.CSRF_HEADER, session.csrf());
    }

    private static String code(HttpResponse<String> response) {
        return SecuredKeel.error(response).getString("code");
    }

    private static Session agent(String name) throws Exception {
        Session admin = signIn("admin", ADMIN_PASSWORD);
        HttpResponse<String> created = as(admin, "POST", "/api/v1/admin/users",
                new JsonObject().put("name", name).put("password", "agent-password-456").put("role", "agent").encode());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return signIn(name, "agent-password-456");
    }

    @Test
    void theSessionCookieIsHttpOnlySecureAndStrict() throws Exception {
        HttpResponse<String> response = keel.send("POST", "/api/v1/auth/login",
                new JsonObject().put("name", "admin").put("password", ADMIN_PASSWORD).encode());
        String cookie = response.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).containsIgnoringCase("HttpOnly").contains("Secure").contains("SameSite=Strict").startsWith("keel_session=");
        assertThat(response.body()).doesNotContain(cookie.split(";", 2)[0].substring("keel_session=".length()));
    }

    @Test
    void eachRouteRefusesMissingWrongAndTooSmallCredentials() throws Exception {
        Session agent = agent("agent-routes");
        for (String path : List.of("/api/v1/handoffs", "/api/v1/agent/anything", "/api/v1/admin/users", "/api/v1/admin/audit",
                "/api/v1/admin/articles", "/api/v1/auth/me")) {
            assertThat(keel.send("GET", path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(keel.send("GET", path, null, "Authorization", "Bearer wrong").statusCode()).as(path).isEqualTo(401);
            assertThat(keel.send("GET", path, null, "Cookie", "keel_session=forged").statusCode()).as(path).isEqualTo(401);
        }
        assertThat(as(agent, "GET", "/api/v1/handoffs", null).statusCode()).isEqualTo(200);
        assertThat(as(agent, "GET", "/api/v1/agent/anything", null).statusCode()).isEqualTo(404);
        for (String path : List.of("/api/v1/admin/users", "/api/v1/admin/audit", "/api/v1/admin/articles")) {
            HttpResponse<String> refused = as(agent, "GET", path, null);
            assertThat(refused.statusCode()).as(path).isEqualTo(403);
            assertThat(code(refused)).isEqualTo("forbidden");
        }
        HttpResponse<String> put = as(agent, "PUT", "/api/v1/admin/articles/x", "{}");
        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(keel.send("GET", "/api/v1/handoffs", null, "Authorization", "Bearer " + SERVICE_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(keel.send("GET", "/api/v1/admin/users", null, "Authorization", "Bearer " + SERVICE_TOKEN).statusCode())
                .isEqualTo(403);
    }

    @Test
    void aCrossSiteFormPostToTheConsoleIsRefused() throws Exception {
        Session admin = signIn("admin", ADMIN_PASSWORD);
        HttpResponse<String> form = keel.send("POST", "/api/v1/admin/users", null, "Cookie", admin.cookie(),
                "Origin", "https://evil.example.test", "Content-Type", "application/x-www-form-urlencoded");
        assertThat(form.statusCode()).isEqualTo(403);
        assertThat(code(form)).isEqualTo("csrf_token_invalid");
        HttpResponse<String> wrongToken = keel.send("POST", "/api/v1/admin/users",
                new JsonObject().put("name", "mallory").put("password", "mallory-password-1").put("role", "admin").encode(),
                "Cookie", admin.cookie(), ConsoleAuth.CSRF_HEADER, "guess");
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        HttpResponse<String> formLogin = keel.send("POST", "/api/v1/auth/login", null,
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(formLogin.statusCode()).isEqualTo(415);
        HttpResponse<String> users = as(admin, "GET", "/api/v1/admin/users", null);
        assertThat(users.body()).doesNotContain("mallory").doesNotContain("passwordHash");
    }

    @Test
    void consoleRoutesGrantNoCorsEvenToAWidgetOrigin() throws Exception {
        for (String path : List.of("/api/v1/auth/login", "/api/v1/admin/users", "/api/v1/handoffs")) {
            HttpResponse<String> preflight = keel.send("OPTIONS", path, null, "Origin", "https://shop-a.example.test",
                    "Access-Control-Request-Method", "POST");
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as(path).isEmpty();
        }
    }

    @Test
    void signingInIsThrottledPerAccount() throws Exception {
        agent("throttled");
        for (int i = 0; i < LoginThrottle.PER_ACCOUNT; i++) {
            HttpResponse<String> wrong = keel.send("POST", "/api/v1/auth/login",
                    new JsonObject().put("name", "throttled").put("password", "wrong-password-" + i).encode());
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(code(wrong)).isEqualTo("invalid_credentials");
        }
        HttpResponse<String> locked = keel.send("POST", "/api/v1/auth/login",
                new JsonObject().put("name", "throttled").put("password", "agent-password-456").encode());
        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void signingOutAndDisablingEndSessionsAndAdminChangesAreAudited() throws Exception {
        Session agent = agent("leaver");
        assertThat(as(agent, "POST", "/api/v1/auth/logout", "{}").statusCode()).isEqualTo(200);
        assertThat(as(agent, "GET", "/api/v1/handoffs", null).statusCode()).isEqualTo(401);

        Session again = signIn("leaver", "agent-password-456");
        Session admin = signIn("admin", ADMIN_PASSWORD);
        assertThat(as(admin, "DELETE", "/api/v1/admin/users/leaver", null).statusCode()).isEqualTo(200);
        assertThat(as(again, "GET", "/api/v1/handoffs", null).statusCode()).isEqualTo(401);
        assertThat(keel.send("POST", "/api/v1/auth/login",
                new JsonObject().put("name", "leaver").put("password", "agent-password-456").encode()).statusCode()).isEqualTo(401);

        JsonObject audit = new JsonObject(as(admin, "GET", "/api/v1/admin/audit", null).body());
        List<JsonObject> entries = audit.getJsonArray("entries").stream().map(JsonObject.class::cast).toList();
        assertThat(entries).anyMatch(e -> e.getString("actor").equals("admin") && e.getString("action").equals("account.disable")
                && e.getString("target").equals("leaver") && e.getLong("at") > 0);
        assertThat(entries).anyMatch(e -> e.getString("actor").equals("admin") && e.getString("action").equals("account.create")
                && e.getString("target").equals("leaver"));
        assertThat(entries).anyMatch(e -> e.getString("actor").equals("system") && e.getString("target").equals("admin"));
    }

    @Test
    void theCommandLineCreatesAnAccountThatCanSignIn() throws Exception {
        java.io.InputStream stdin = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("command-line-password-789\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            int code = Keel.run(new String[]{"admin", "create-user", "--redis-url", keel.redisUrl(), "--name", "ops",
                    "--role", "admin"}, Map.of());
            assertThat(code).isZero();
        } finally {
            System.setIn(stdin);
        }
        Session ops = signIn("ops", "command-line-password-789");
        assertThat(as(ops, "GET", "/api/v1/admin/users", null).body()).contains("\"ops\"");
    }

    @Test
    void weakPasswordsAndBadRolesAreRefused() throws Exception {
        Session admin = signIn("admin", ADMIN_PASSWORD);
        HttpResponse<String> weak = as(admin, "POST", "/api/v1/admin/users",
                new JsonObject().put("name", "weak").put("password", "short").put("role", "agent").encode());
        assertThat(code(weak)).isEqualTo("weak_password");
        HttpResponse<String> role = as(admin, "POST", "/api/v1/admin/users",
                new JsonObject().put("name", "weak").put("password", "long-enough-password").put("role", "root").encode());
        assertThat(code(role)).isEqualTo("invalid_role");
    }
}

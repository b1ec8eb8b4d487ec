package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kind K-EDGE-POLICY (CASES BUG-14, BUG-24) and the bad-input suite over the public API: exact CORS
 * grants that vary by origin, 413 before a body is read, per-conversation rate limits with
 * Retry-After, security headers, and junk that gets a clear 4xx, stores nothing and leaves the
 * server answering others.
 */
class EdgePolicyTest {
    private static final String SHOP_A = "https://shop-a.example.test";
    private static final String SHOP_B = "https://shop-b.example.test";
    private static final int PER_CONVERSATION = 4;
    private static SecuredKeel keel;

    @BeforeAll
    static void start() throws Exception {
        keel = SecuredKeel.start(SecuredKeel.settings(null, null, "keel", List.of(SHOP_A, SHOP_B), PER_CONVERSATION,
                Duration.ofSeconds(2)), Map.of());
    }

    @AfterAll
    static void stop() {
        if (keel != null) {
            keel.close();
        }
    }

    private static HttpResponse<String> preflight(String path, String origin) throws Exception {
        return keel.send("OPTIONS", path, null, "Origin", origin, "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "content-type");
    }

    private static String header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Test
    void corsGrantsExactlyTheListedOriginsAndVariesByOrigin() throws Exception {
        for (String origin : List.of(SHOP_A, SHOP_B)) {
            HttpResponse<String> pre = preflight("/api/v1/conversations", origin);
            assertThat(header(pre, "Access-Control-Allow-Origin")).isEqualTo(origin);
            assertThat(header(pre, "Vary")).containsIgnoringCase("Origin");
            assertThat(header(pre, "Access-Control-Allow-Credentials")).isNull();

            HttpResponse<String> actual = keel.send("POST", "/api/v1/conversations", "{}", "Origin", origin);
            assertThat(actual.statusCode()).isEqualTo(201);
            assertThat(header(actual, "Access-Control-Allow-Origin")).isEqualTo(origin);
            assertThat(header(actual, "Vary")).containsIgnoringCase("Origin");
        }
        for (String origin : List.of("https://evil.example.test", "null", "https://shop-a.example.test.evil.test")) {
            HttpResponse<String> pre = preflight("/api/v1/conversations", origin);
            assertThat(header(pre, "Access-Control-Allow-Origin")).as(origin).isNull();
            assertThat(pre.statusCode()).isEqualTo(403);
            assertThat(SecuredKeel.error(pre).getString("code")).isNotBlank();
            assertThat(header(pre, "Vary")).containsIgnoringCase("Origin");
        }
        JsonObject conversation = keel.open(new JsonObject());
        HttpResponse<String> messages = preflight(SecuredKeel.messages(conversation), SHOP_B);
        assertThat(header(messages, "Access-Control-Allow-Origin")).isEqualTo(SHOP_B);
        for (String path : List.of("/api/v1/admin/users", "/api/v1/auth/login", "/api/v1/handoffs")) {
            assertThat(header(preflight(path, SHOP_A), "Access-Control-Allow-Origin")).as(path).isNull();
            assertThat(header(keel.send("GET", path, null, "Origin", SHOP_A), "Access-Control-Allow-Origin")).isNull();
        }
    }

    @Test
    void anOversizedDeclaredBodyGets413BeforeItIsSent() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        for (String target : List.of(SecuredKeel.messages(conversation), "/api/v1/admin/articles/x", "/api/v1/conversations")) {
            String head = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + conversation.getString("token") + "\r\nContent-Length: 52428800\r\n\r\n";
            try (Socket socket = keel.raw(head.getBytes(StandardCharsets.US_ASCII))) {
                String response = SecuredKeel.readResponse(socket);
                assertThat(response).as(target).startsWith("HTTP/1.1 413").contains("\"code\":\"body_too_large\"");
            }
        }
        HttpResponse<String> big = keel.send("POST", SecuredKeel.messages(conversation),
                "{\"text\":\"" + "x".repeat(2 * 1024 * 1024) + "\",\"clientMessageId\":\"big\"}",
                "Authorization", "Bearer " + conversation.getString("token"));
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(transcriptSize(conversation)).isZero();
    }

    @Test
    void tooManyMessagesInOneConversationGet429WithRetryAfter() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        for (int i = 0; i < PER_CONVERSATION; i++) {
            assertThat(keel.say(conversation, "How do I pause my plan?").statusCode()).isEqualTo(200);
        }
        HttpResponse<String> limited = keel.say(conversation, "How do I pause my plan?");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(SecuredKeel.error(limited).getString("code")).isEqualTo("conversation_rate_limited");
        assertThat(Long.parseLong(header(limited, "Retry-After"))).isPositive();
        assertThat(keel.say(keel.open(new JsonObject()), "How do I pause my plan?").statusCode()).isEqualTo(200);
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        for (String path : List.of("/", "/widget.js", "/api/v1/handoffs", "/health/live", "/nothing-here")) {
            HttpResponse<String> response = keel.send("GET", path, null);
            assertThat(header(response, "X-Content-Type-Options")).as(path).isEqualTo("nosniff");
            assertThat(header(response, "Content-Security-Policy")).contains("frame-ancestors 'none'").contains("script-src 'self'");
            assertThat(header(response, "Referrer-Policy")).isEqualTo("no-referrer");
        }
        HttpResponse<String> index = keel.send("GET", "/", null);
        assertThat(index.body()).doesNotContain("<script>").doesNotContain("onclick");
    }

    @Test
    void badInputGetsAClearErrorStoresNothingAndNeverLeaksInternals() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        String path = SecuredKeel.messages(conversation);
        String bearer = "Bearer " + conversation.getString("token");
        Map<String, Integer> bodies = Map.of(
                "{\"text\": ", 400,
                "[".repeat(20_000) + "]".repeat(20_000), 400,
                "[".repeat(5_000) + "]".repeat(5_000), 400,
                "{\"text\":\"a\\u0000b\",\"clientMessageId\":\"nul\"}", 400,
                "{\"text\":\"" + "é".repeat(4_001) + "\",\"clientMessageId\":\"long\"}", 413,
                "{\"text\":42,\"clientMessageId\":\"n\"}", 400,
                "\"just a string\"", 400);
        for (Map.Entry<String, Integer> body : bodies.entrySet()) {
            JsonObject target = keel.open(new JsonObject());
            HttpResponse<String> response = keel.send("POST", SecuredKeel.messages(target), body.getKey(),
                    "Authorization", "Bearer " + target.getString("token"));
            assertThat(response.statusCode()).as(body.getKey().substring(0, Math.min(40, body.getKey().length())))
                    .isEqualTo(body.getValue());
            assertNoInternals(response);
            assertThat(transcriptSize(target)).isZero();
        }
        ByteArrayOutputStream invalidUtf8 = new ByteArrayOutputStream();
        invalidUtf8.write("{\"text\":\"".getBytes(StandardCharsets.US_ASCII));
        invalidUtf8.write(new byte[]{(byte) 0xC3, (byte) 0x28, (byte) 0xFF, 0x00});
        invalidUtf8.write("\",\"clientMessageId\":\"u\"}".getBytes(StandardCharsets.US_ASCII));
        byte[] body = invalidUtf8.toByteArray();
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: "
                + bearer + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(head.getBytes(StandardCharsets.US_ASCII));
        request.write(body);
        try (Socket socket = keel.raw(request.toByteArray())) {
            assertThat(SecuredKeel.readResponse(socket)).startsWith("HTTP/1.1 400").contains("\"code\"").doesNotContain("Exception");
        }
        HttpResponse<String> wrongMethod = keel.send("DELETE", "/health/live", null);
        assertThat(wrongMethod.statusCode()).isBetween(400, 499);
        assertNoInternals(wrongMethod);
        HttpResponse<String> wrongApiMethod = keel.send("DELETE", "/api/v1/conversations", null);
        assertThat(wrongApiMethod.statusCode()).isEqualTo(404);
        assertNoInternals(wrongApiMethod);
        assertThat(SecuredKeel.error(keel.send("GET", "/no/such/page", null)).getString("code")).isEqualTo("not_found");

        assertThat(transcriptSize(conversation)).isZero();
        assertThat(keel.send("GET", "/health/ready", null).statusCode()).isEqualTo(200);
        assertThat(keel.say(conversation, "How do I pause my plan?").statusCode()).isEqualTo(200);
    }

    @Test
    void aSlowClientIsCutOffWhileOthersAreServed() throws Exception {
        try (Socket slow = keel.raw("POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"
                .getBytes(StandardCharsets.US_ASCII))) {
            assertThat(keel.sendOnNewConnection("POST", "/api/v1/conversations", "{}").statusCode()).isEqualTo(201);
            assertThat(keel.sendOnNewConnection("GET", "/health/ready", null).statusCode()).isEqualTo(200);
            // the idle timeout (2 s here) closes the connection that never finished its request
            assertThat(slow.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket trickle = keel.raw(("POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"cust").getBytes(StandardCharsets.US_ASCII))) {
            assertThat(keel.sendOnNewConnection("GET", "/health/live", null).statusCode()).isEqualTo(200);
            String answer = SecuredKeel.readResponse(trickle);
            assertThat(answer).doesNotContain("201");
        }
    }

    private static void assertNoInternals(HttpResponse<String> response) {
        assertThat(SecuredKeel.error(response).getString("code")).isNotBlank();
        assertThat(SecuredKeel.error(response).getString("message")).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("at dev.keel").doesNotContain("io.vertx");
    }

    private static int transcriptSize(JsonObject conversation) throws Exception {
        HttpResponse<String> response = keel.send("GET", SecuredKeel.messages(conversation), null,
                "Authorization", "Bearer " + conversation.getString("token"));
        return new JsonObject(response.body()).getJsonArray("messages").size();
    }
}

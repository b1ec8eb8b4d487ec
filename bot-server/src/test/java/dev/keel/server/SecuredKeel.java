package dev.keel.server;

import io.vertx.core.json.JsonObject;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Keel server in process for the security tests, on a Redis of the test's own (so that a test can
 * look into Redis directly), with the bundled articles and customer table, and an HTTP client.
 */
final class SecuredKeel implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("keel.root", ".."));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final Path data;
    private final EmbeddedRedis redis;
    private final KeelServer server;

    private SecuredKeel(Path data, EmbeddedRedis redis, KeelServer server) {
        this.data = data;
        this.redis = redis;
        this.server = server;
    }

    static SecuredKeel start(SecuritySettings security, Map<String, String> env) throws Exception {
        Path data = Files.createTempDirectory("keel-secured");
        EmbeddedRedis redis = EmbeddedRedis.start(data.resolve("own-redis"), "everysec");
        KeelServer server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, ROOT.resolve("knowledge-base/articles"),
                ROOT.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", data, redis.url(),
                "everysec", 0.45), security, env);
        return new SecuredKeel(data, redis, server);
    }

    /** Default settings with the given changes applied through a copy of the record's components. */
    static SecuritySettings settings(Path secretFile, Path keysFile, String audience, List<String> origins,
                                     int perConversation, Duration idleTimeout) {
        SecuritySettings d = SecuritySettings.defaults();
        return new SecuritySettings(secretFile, keysFile, audience, false, false, false, d.conversationTokenTtl(),
                d.sessionTtl(), d.secureCookies(), origins, d.perIpPerMinute(), perConversation, d.globalPerSecond(),
                idleTimeout, List.of());
    }

    Jedis redis() {
        return new Jedis(URI.create(redis.url()));
    }

    String redisUrl() {
        return redis.url();
    }

    int port() {
        return server.port();
    }

    /** What a SIGTERM starts: readiness off, live connections told to reconnect, requests in flight awaited. */
    void drain() {
        server.drain(Duration.ofSeconds(10));
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        return HTTP.send(request(method, path, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A request on a connection of its own, for tests with a short idle timeout: the shared client's pooled
     * connection may be closed by the server's idle timeout just as the request goes out on it.
     */
    HttpResponse<String> sendOnNewConnection(String method, String path, String body) throws Exception {
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return fresh.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest request(String method, String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        return request.build();
    }

    /** Opens a conversation with this body; returns {conversationId, token, identity}, failing on any other status. */
    JsonObject open(JsonObject body) throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations", body.encode());
        if (response.statusCode() != 201) {
            throw new AssertionError("open: " + response.statusCode() + " " + response.body());
        }
        return new JsonObject(response.body());
    }

    HttpResponse<String> say(JsonObject conversation, String text) throws Exception {
        return send("POST", messages(conversation), new JsonObject().put("text", text)
                .put("clientMessageId", java.util.UUID.randomUUID().toString()).encode(),
                "Authorization", "Bearer " + conversation.getString("token"));
    }

    static String messages(JsonObject conversation) {
        return "/api/v1/conversations/" + conversation.getString("conversationId") + "/messages";
    }

    static JsonObject error(HttpResponse<String> response) {
        return new JsonObject(response.body()).getJsonObject("error");
    }

    /** Writes raw bytes on a new connection and returns the socket, for requests no HTTP client would send. */
    Socket raw(byte[] request) throws IOException {
        Socket socket = new Socket("127.0.0.1", port());
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        return socket;
    }

    /** Reads what the server sends until it closes the connection or has sent a complete small response. */
    static String readResponse(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            if (text.indexOf("\r\n\r\n") > 0 && text.toString().contains("}}")) {
                break;
            }
        }
        return text.toString();
    }

    @Override
    public void close() {
        server.close();
        redis.close();
    }
}

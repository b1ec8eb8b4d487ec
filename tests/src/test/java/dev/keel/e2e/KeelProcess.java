package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The packaged Keel server, started as a separate process on a free port, and a small HTTP client for it. */
final class KeelProcess implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private KeelProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts {@code java -jar bot-server.jar serve ...} and waits until it reports ready. */
    static KeelProcess start(Path dataDir, String... extraArgs) throws Exception {
        return start(dataDir, Map.of(), extraArgs);
    }

    /** Like {@link #start(Path, String...)}, with these environment variables set for the server. */
    static KeelProcess start(Path dataDir, Map<String, String> env, String... extraArgs) throws Exception {
        Path jar = Path.of(System.getProperty("keel.server.jar", "../bot-server/target/bot-server.jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException("server jar not found: " + jar.toAbsolutePath() + " (run mvn verify from the root)");
        }
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", jar.toString(),
                "serve", "--port", Integer.toString(port), "--data", dataDir.toString()));
        command.addAll(List.of(extraArgs));
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("keel-" + System.nanoTime() + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("REDIS_URL");
        builder.environment().remove("KEEL_AGENT_TOKEN");
        builder.environment().remove("KEEL_ADMIN_PASSWORD");
        builder.environment().putAll(env);
        KeelProcess keel = new KeelProcess(builder.start(), port, log);
        keel.awaitReady(Duration.ofSeconds(600));
        return keel;
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keel exited with " + process.exitValue() + ":\n" + logText());
            }
            try {
                if (get("/health/ready", null).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Keel was not ready in " + timeout + ":\n" + logText());
    }

    String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    HttpResponse<String> get(String path, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String bearer, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens a conversation, optionally claiming (not proving) a customer id; returns {conversationId, token}. */
    JsonNode open(String customerId) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        if (customerId != null) {
            body.put("customerId", customerId);
        }
        return open(body);
    }

    /** Opens a conversation as this customer, proven by an identity token signed with the HS256 secret. */
    JsonNode openVerified(String customerId, String secret) throws Exception {
        return open(JSON.createObjectNode().put("identityToken", IdentityToken.hs256(secret, customerId, "keel")));
    }

    /** Signs in to the console; returns the session cookie ({@code keel_session=...}). */
    String signIn(String name, String password) throws Exception {
        HttpResponse<String> response = post("/api/v1/auth/login", null,
                JSON.createObjectNode().put("name", name).put("password", password).toString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("sign-in: " + response.statusCode() + " " + response.body());
        }
        return response.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
    }

    /** GET with a console session cookie. */
    HttpResponse<String> getSignedIn(String path, String cookie) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).header("Cookie", cookie)
                .GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode open(ObjectNode body) throws Exception {
        HttpResponse<String> response = post("/api/v1/conversations", null, body.toString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("open conversation: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Sends one message and returns the reply object. */
    JsonNode say(JsonNode conversation, String text, String clientMessageId) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("text", text).put("clientMessageId", clientMessageId);
        HttpResponse<String> response = post("/api/v1/conversations/" + conversation.get("conversationId").asText() + "/messages",
                conversation.get("token").asText(), body.toString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("message: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("reply");
    }

    JsonNode transcript(JsonNode conversation) throws Exception {
        HttpResponse<String> response = get("/api/v1/conversations/" + conversation.get("conversationId").asText() + "/messages",
                conversation.get("token").asText());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("transcript: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("messages");
    }

    int port() {
        return port;
    }

    /** Kills the process at once, as a crash would; nothing is shut down cleanly. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Sends SIGTERM, as an operator stopping the node would, without waiting for it to exit. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to end; its exit code, or empty if it still runs after the timeout. */
    java.util.OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    /** Stops the server as an operator would (SIGTERM) and waits for it to exit. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

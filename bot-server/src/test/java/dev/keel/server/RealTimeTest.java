package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The customer's event stream and the agent socket on one node in process, on a real Redis: the
 * stream resumes by seq with no gap and no duplicate, only the conversation's own token opens it,
 * the socket needs an agent session from Keel's own origin, pushes the queue and the watched
 * conversations, and refuses oversized frames as documented.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealTimeTest {
    private static final String ADMIN_PASSWORD = "realtime-admin-password-1";
    private static final String SERVICE_TOKEN = "realtime-test-service-token";
    /** Bounds a failing wait only; a passing run never waits this long. */
    private static final long WAIT_SECONDS = 30;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static SecuredKeel keel;
    private static Vertx vertx;
    private static WebSocketClient sockets;
    private static String cookie;

    @BeforeAll
    static void start() throws Exception {
        keel = SecuredKeel.start(SecuredKeel.settings(null, null, "keel", List.of("https://shop.example.test"), 0,
                Duration.ofSeconds(60)), Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD, "KEEL_AGENT_TOKEN", SERVICE_TOKEN));
        vertx = Vertx.vertx();
        sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1024 * 1024).setMaxMessageSize(1024 * 1024));
        HttpResponse<String> login = keel.send("POST", "/api/v1/auth/login",
                new JsonObject().put("name", "admin").put("password", ADMIN_PASSWORD).encode());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
    }

    @AfterAll
    static void stop() {
        if (vertx != null) {
            vertx.close().await();
        }
        if (keel != null) {
            keel.close();
        }
    }

    // --- the customer's event stream

    private record Event(String name, String id, String data) {
        JsonObject json() {
            return new JsonObject(data);
        }
    }

    /** An open event stream, read on a thread of its own into a queue of events. */
    private static final class Stream implements AutoCloseable {
        final int status;
        final String body;
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final List<String> comments = new ArrayList<>();
        private final HttpResponse<java.io.InputStream> response;

        Stream(JsonObject conversation, String token, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + keel.port()
                    + "/api/v1/conversations/" + conversation.getString("conversationId") + "/events")).GET();
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            if (status != 200) {
                body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
                return;
            }
            body = null;
            Thread reader = new Thread(this::read, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String name = null;
                String id = null;
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith(":")) {
                        comments.add(line);
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        events.add(new Event(name, id, line.substring(6)));
                        name = null;
                        id = null;
                    }
                }
                events.add(new Event("closed", null, "{}"));
            } catch (Exception e) {
                events.add(new Event("closed", null, "{}"));
            }
        }

        Event next(Predicate<Event> wanted) throws InterruptedException {
            while (true) {
                Event event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertThat(event).as("an event in time").isNotNull();
                if (wanted.test(event)) {
                    return event;
                }
            }
        }

        /** The next {@code count} message events, skipping the others. */
        List<JsonObject> messages(int count) throws InterruptedException {
            List<JsonObject> out = new ArrayList<>();
            while (out.size() < count) {
                Event event = next(e -> e.name().equals("message") || e.name().equals("closed"));
                assertThat(event.name()).isEqualTo("message");
                assertThat(event.id()).isEqualTo(Long.toString(event.json().getLong("seq")));
                out.add(event.json());
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            if (status == 200) {
                response.body().close();
            }
        }
    }

    private static JsonObject say(JsonObject conversation, String text) throws Exception {
        HttpResponse<String> response = keel.say(conversation, text);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getJsonObject("reply");
    }

    private static List<Long> seqs(List<JsonObject> messages) {
        return messages.stream().map(m -> m.getLong("seq")).toList();
    }

    @Test
    void theStreamResumesFromLastEventIdWithNoGapAndNoDuplicate() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        String token = conversation.getString("token");
        say(conversation, "How do I pause my plan?");
        try (Stream stream = new Stream(conversation, token, "0")) {
            assertThat(stream.status).isEqualTo(200);
            assertThat(seqs(stream.messages(1))).containsExactly(1L);
            assertThat(stream.next(e -> e.name().equals("status")).json().getString("owner")).isEqualTo("bot");
            JsonObject reply = say(conversation, "How do I pay my bill?");
            List<JsonObject> live = stream.messages(2);
            assertThat(seqs(live)).containsExactly(reply.getLong("customerSeq"), reply.getLong("replySeq"));
            assertThat(live.get(0).getString("role")).isEqualTo("customer");
            assertThat(live.get(1).getString("role")).isEqualTo("bot");
        }
        // while nobody listens, two more messages are stored
        say(conversation, "Can I change my plan?");
        try (Stream resumed = new Stream(conversation, token, "3")) {
            assertThat(seqs(resumed.messages(2))).containsExactly(4L, 5L);
            say(conversation, "thanks");
            assertThat(seqs(resumed.messages(2))).containsExactly(6L, 7L);
        }
        try (Stream everything = new Stream(conversation, token, null)) {
            assertThat(seqs(everything.messages(8))).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        }
    }

    @Test
    void onlyTheConversationsOwnTokenOpensItsStream() throws Exception {
        JsonObject mine = keel.open(new JsonObject());
        JsonObject other = keel.open(new JsonObject());
        try (Stream wrong = new Stream(mine, other.getString("token"), null);
             Stream none = new Stream(mine, null, null);
             Stream unknown = new Stream(new JsonObject().put("conversationId", UUID.randomUUID().toString()),
                     mine.getString("token"), null);
             Stream badSeq = new Stream(mine, mine.getString("token"), "not-a-number")) {
            assertThat(wrong.status).isEqualTo(401);
            assertThat(new JsonObject(wrong.body).getJsonObject("error").getString("code")).isEqualTo("invalid_token");
            assertThat(none.status).isEqualTo(401);
            assertThat(unknown.status).isEqualTo(404);
            assertThat(badSeq.status).isEqualTo(400);
        }
    }

    // --- the agent socket

    /** A connected agent socket, its text frames in a queue. */
    private static final class Socket implements AutoCloseable {
        final WebSocket ws;
        final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Short> closed = new CompletableFuture<>();

        Socket(WebSocket ws) {
            this.ws = ws;
            ws.textMessageHandler(text -> frames.add(new JsonObject(text)));
            ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
        }

        JsonObject next(Predicate<JsonObject> wanted) throws InterruptedException {
            while (true) {
                JsonObject frame = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                assertThat(frame).as("a frame in time").isNotNull();
                if (wanted.test(frame)) {
                    return frame;
                }
            }
        }

        void send(JsonObject frame) {
            ws.writeTextMessage(frame.encode()).await();
        }

        @Override
        public void close() {
            if (!ws.isClosed()) {
                ws.close().await();
            }
        }
    }

    private static WebSocketConnectOptions socketOptions() {
        return new WebSocketConnectOptions().setHost("127.0.0.1").setPort(keel.port()).setURI("/api/v1/agent/ws");
    }

    private static Socket connect(WebSocketConnectOptions options) {
        // handlers are set on the event loop as the socket opens, so that no early frame is missed
        return sockets.connect(options).map(Socket::new).await();
    }

    private static Socket signedInSocket() {
        return connect(socketOptions().addHeader("Cookie", cookie).addHeader("Origin", "http://127.0.0.1:" + keel.port()));
    }

    private static int rejected(WebSocketConnectOptions options) {
        try {
            sockets.connect(options).await().close();
            return 101;
        } catch (UpgradeRejectedException e) {
            return e.getStatus();
        }
    }

    private static boolean queueHas(JsonObject frame, String conversationId) {
        return frame.getString("type").equals("queue") && frame.getJsonArray("items").stream()
                .anyMatch(i -> ((JsonObject) i).getString("conversationId").equals(conversationId));
    }

    private static HttpResponse<String> agentCall(String path, JsonObject body) throws Exception {
        return keel.send("POST", "/api/v1/agent" + path, body == null ? null : body.encode(),
                "Authorization", "Bearer " + SERVICE_TOKEN, AgentApi.AGENT_HEADER, "admin");
    }

    @Test
    void theSocketNeedsAnAgentFromKeelsOwnOrigin() {
        assertThat(rejected(socketOptions())).isEqualTo(401);
        assertThat(rejected(socketOptions().addHeader("Cookie", "keel_session=forged"))).isEqualTo(401);
        assertThat(rejected(socketOptions().addHeader("Cookie", cookie).addHeader("Origin", "https://evil.example.test")))
                .isEqualTo(403);
        try (Socket allowed = connect(socketOptions().addHeader("Cookie", cookie).addHeader("Origin", "https://shop.example.test"))) {
            assertThat(allowed.ws.isClosed()).isFalse();
        }
        try (Socket machine = connect(socketOptions().addHeader("Authorization", "Bearer " + SERVICE_TOKEN)
                .addHeader(AgentApi.AGENT_HEADER, "bot-runner"))) {
            assertThat(machine.ws.isClosed()).isFalse();
        }
    }

    @Test
    void theAgentSeesTheQueueAndChatsWithTheCustomerLive() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        String id = conversation.getString("conversationId");
        try (Socket agent = signedInSocket(); Stream customer = new Stream(conversation, conversation.getString("token"), null)) {
            assertThat(agent.next(f -> f.getString("type").equals("queue")).getJsonArray("items")).isNotNull();
            assertThat(say(conversation, "I want to talk to a real person").getString("decision")).isEqualTo("HANDOFF");
            agent.next(f -> queueHas(f, id));
            assertThat(customer.next(e -> e.name().equals("status") && e.json().getString("owner").equals("queue"))
                    .json().getLong("position")).isEqualTo(1);

            // a claim watches the conversation: the agent sees the notice and every message after it
            assertThat(agentCall("/conversations/" + id + "/claim", null).statusCode()).isEqualTo(200);
            agent.next(f -> f.getString("type").equals("queue") && !queueHas(f, id));
            JsonObject joined = agent.next(f -> f.getString("type").equals("message"));
            assertThat(joined.getString("conversationId")).isEqualTo(id);
            assertThat(joined.getJsonObject("message").getString("kind")).isEqualTo("agent-joined");
            assertThat(customer.next(e -> e.name().equals("status")).json().getString("owner")).isEqualTo("agent");

            say(conversation, "hello, are you there?");
            JsonObject fromCustomer = agent.next(f -> f.getString("type").equals("message")).getJsonObject("message");
            assertThat(fromCustomer.getString("role")).isEqualTo("customer");
            assertThat(fromCustomer.getString("text")).isEqualTo("hello, are you there?");

            agent.send(new JsonObject().put("type", "typing").put("conversationId", id));
            assertThat(customer.next(e -> e.name().equals("typing")).json().getString("role")).isEqualTo("agent");
            HttpResponse<String> sent = agentCall("/conversations/" + id + "/messages",
                    new JsonObject().put("text", "Yes, Ada here.").put("clientMessageId", "a1"));
            assertThat(sent.statusCode()).as(sent.body()).isEqualTo(200);
            long agentSeq = new JsonObject(sent.body()).getJsonObject("message").getLong("seq");
            JsonObject atCustomer = customer.next(e -> e.name().equals("message") && e.json().getString("role").equals("agent")).json();
            assertThat(atCustomer.getString("text")).isEqualTo("Yes, Ada here.");
            assertThat(atCustomer.getLong("seq")).isEqualTo(agentSeq);

            assertThat(agentCall("/conversations/" + id + "/resolve", new JsonObject().put("disposition", "resolved"))
                    .statusCode()).isEqualTo(200);
            assertThat(agent.next(f -> f.getString("type").equals("status")).getJsonObject("status").getString("owner"))
                    .isEqualTo("bot");
        }
    }

    @Test
    void badFramesGetAnErrorAndOversizedOnesClose1009() throws Exception {
        try (Socket agent = signedInSocket()) {
            agent.next(f -> f.getString("type").equals("queue"));
            agent.ws.writeTextMessage("not json").await();
            assertThat(agent.next(f -> f.getString("type").equals("error")).getString("code")).isEqualTo("malformed_json");
            agent.send(new JsonObject().put("type", "watch").put("conversationId", "x".repeat(5000)));
            assertThat(agent.next(f -> f.getString("type").equals("error")).getString("code")).isEqualTo("text_too_long");
            agent.send(new JsonObject().put("type", "watch").put("conversationId", UUID.randomUUID().toString()));
            assertThat(agent.next(f -> f.getString("type").equals("error")).getString("code")).isEqualTo("conversation_not_found");
            assertThat(agent.ws.isClosed()).isFalse();

            // a pasted 100 KB log in one frame
            agent.ws.writeFrame(WebSocketFrame.textFrame("x".repeat(100 * 1024), true));
            assertThat(agent.closed.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo((short) 1009);
        }
        try (Socket agent = signedInSocket()) {
            agent.next(f -> f.getString("type").equals("queue"));
            // a 300 KB message in frames under the frame limit
            String piece = "y".repeat(60 * 1024);
            agent.ws.writeFrame(WebSocketFrame.textFrame(piece, false));
            for (int i = 0; i < 4; i++) {
                agent.ws.writeFrame(WebSocketFrame.continuationFrame(io.vertx.core.buffer.Buffer.buffer(piece), false));
            }
            agent.ws.writeFrame(WebSocketFrame.continuationFrame(io.vertx.core.buffer.Buffer.buffer(piece), true));
            assertThat(agent.closed.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo((short) 1009);
        }
        // the server is still healthy
        assertThat(keel.send("GET", "/health/ready", null).statusCode()).isEqualTo(200);
    }

    /** Runs last: it stops the node. */
    @Test
    @Order(Integer.MAX_VALUE)
    void aStoppingNodeTellsStreamsAndSocketsToReconnect() throws Exception {
        JsonObject conversation = keel.open(new JsonObject());
        try (Stream customer = new Stream(conversation, conversation.getString("token"), null); Socket agent = signedInSocket()) {
            customer.next(e -> e.name().equals("status"));
            agent.next(f -> f.getString("type").equals("queue"));
            keel.drain();
            assertThat(customer.next(e -> !e.name().equals("status")).name()).isEqualTo("reconnect");
            assertThat(customer.next(e -> true).name()).isEqualTo("closed");
            assertThat(agent.closed.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo((short) 1001);
        }
    }
}

package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import redis.embedded.RedisServer;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two packaged Keel processes sharing one Redis: customers on one node, agents on the other. The
 * queue follows the churn priority, an agent on the other node claims, chats and resolves while
 * the bot stays silent, and nothing is lost when an agent vanishes, a node is killed or Redis
 * restarts. Live, the customer's event stream on one node and the agent's socket on the other carry
 * each other's messages as they are written.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HandoffAcrossNodesTest {
    private static final Path ROOT = Path.of("..");
    private static final Path TABLE = ROOT.resolve("churn/customers/telco_churn.csv");
    private static final String AGENT_TOKEN = "e2e-agent-token";
    private static final String IDENTITY_SECRET = "handoff-across-nodes-identity-secret-0123";
    private static final String CONSOLE_PASSWORD = "dana-console-password-1";
    private static final int LEASE_SECONDS = 5;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Path redisDir;
    private static int redisPort;
    private static RedisServer redis;
    private static KeelProcess customerNode;
    private static KeelProcess agentNode;

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("keel-nodes");
        redisDir = Files.createDirectories(data.resolve("redis"));
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            redisPort = socket.getLocalPort();
        }
        redis = startRedis();
        Map<String, String> env = Map.of("REDIS_URL", "redis://127.0.0.1:" + redisPort, "KEEL_AGENT_TOKEN", AGENT_TOKEN,
                "KEEL_AGENT_LEASE_SECONDS", Integer.toString(LEASE_SECONDS),
                "KEEL_ADMIN_NAME", "dana", "KEEL_ADMIN_PASSWORD", CONSOLE_PASSWORD);
        Path secret = Files.writeString(data.resolve("identity-secret"), IDENTITY_SECRET);
        String[] args = {"--kb", ROOT.resolve("knowledge-base/articles").toString(), "--customers", TABLE.toString(),
                "--identity-secret-file", secret.toString()};
        customerNode = KeelProcess.start(data.resolve("node-a"), env, args);
        agentNode = KeelProcess.start(data.resolve("node-b"), env, args);
    }

    private static RedisServer startRedis() throws Exception {
        RedisServer server = RedisServer.newRedisServer().bind("127.0.0.1").port(redisPort)
                .setting("dir " + redisDir).setting("appendonly yes").setting("appendfsync always").build();
        server.start();
        return server;
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable node : new AutoCloseable[]{customerNode, agentNode}) {
            if (node != null) {
                node.close();
            }
        }
        if (redis != null) {
            redis.stop();
        }
    }

    private static HttpResponse<String> agent(KeelProcess node, String method, String path, String agentId, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/api/v1/agent" + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + AGENT_TOKEN)
                .header("X-Keel-Agent", agentId).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int act(String action, JsonNode conversation, String agentId, String body) throws Exception {
        return agent(agentNode, "POST", "/conversations/" + conversation.get("conversationId").asText() + "/" + action,
                agentId, body).statusCode();
    }

    private static List<String> queue(KeelProcess node) throws Exception {
        List<String> ids = new ArrayList<>();
        KeelProcess.JSON.readTree(agent(node, "GET", "/queue", "watcher", null).body()).get("handoffs")
                .forEach(h -> ids.add(h.get("conversationId").asText()));
        return ids;
    }

    private static List<String> roles(JsonNode messages) {
        List<String> roles = new ArrayList<>();
        messages.forEach(m -> roles.add(m.get("role").asText()));
        return roles;
    }

    private static void online(String agentId) throws Exception {
        ObjectNode body = KeelProcess.JSON.createObjectNode().put("name", agentId).put("capacity", 2);
        assertThat(agent(agentNode, "POST", "/presence", agentId, body.toString()).statusCode()).isEqualTo(200);
    }

    private static String id(JsonNode conversation) {
        return conversation.get("conversationId").asText();
    }

    /** Polls until the condition holds; the deadline only bounds a failing run. */
    private static void eventually(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("condition not met in time").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** A signed-in agent console: its session cookie, and the CSRF token its changes carry. */
    private record Console(String cookie, String csrfToken) {
        static Console signIn(KeelProcess node, String name, String password) throws Exception {
            HttpResponse<String> login = node.post("/api/v1/auth/login", null,
                    KeelProcess.JSON.createObjectNode().put("name", name).put("password", password).toString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
            return new Console(login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0],
                    KeelProcess.JSON.readTree(login.body()).get("csrfToken").asText());
        }

        /** A conversation action, as the console sends it: the signed-in agent acts for themselves. */
        int act(String action, JsonNode conversation, String body) throws Exception {
            return post("/conversations/" + id(conversation) + "/" + action, body);
        }

        int post(String agentPath, String body) throws Exception {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agentNode.port()
                            + "/api/v1/agent" + agentPath))
                    .timeout(Duration.ofSeconds(30)).header("Cookie", cookie).header("X-CSRF-Token", csrfToken)
                    .header("Content-Type", "application/json")
                    .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
        }
    }

    private static boolean isType(JsonNode frame, String type) {
        return frame.get("type").asText().equals(type);
    }

    private static List<String> items(JsonNode queueFrame) {
        List<String> ids = new ArrayList<>();
        queueFrame.get("items").forEach(i -> ids.add(i.get("conversationId").asText()));
        return ids;
    }

    private static boolean messageOf(JsonNode frame, JsonNode conversation) {
        return isType(frame, "message") && frame.get("conversationId").asText().equals(id(conversation));
    }

    @Test
    @Order(1)
    void anAgentOnTheOtherNodeChatsWithTheCustomerLive() throws Exception {
        Console console = Console.signIn(agentNode, "dana", CONSOLE_PASSWORD);
        assertThat(console.post("/presence", "{\"name\":\"dana\",\"capacity\":2}")).isEqualTo(200);
        try (LiveClients.AgentSocket dana = new LiveClients.AgentSocket(agentNode, console.cookie())) {
            dana.next(f -> isType(f, "queue"));
            JsonNode low = customerNode.openVerified(Customers.lowRisk(TABLE), IDENTITY_SECRET);
            JsonNode high = customerNode.openVerified(Customers.highRisk(TABLE), IDENTITY_SECRET);
            assertThat(customerNode.say(low, "Can I talk to a real person?", "live-l1").get("decision").asText()).isEqualTo("HANDOFF");
            assertThat(customerNode.say(high, "I need a human", "live-h1").get("decision").asText()).isEqualTo("HANDOFF");
            // the queue reaches the socket on the other node, highest priority first
            List<String> order = items(dana.next(f -> isType(f, "queue") && items(f).containsAll(List.of(id(low), id(high)))));
            assertThat(order.indexOf(id(high))).isLessThan(order.indexOf(id(low)));

            try (LiveClients.EventStream customer = new LiveClients.EventStream(customerNode, high)) {
                customer.next(e -> e.name().equals("status") && e.data().get("owner").asText().equals("queue"));
                assertThat(console.act("claim", high, null)).isEqualTo(200);
                assertThat(dana.next(f -> messageOf(f, high)).get("message").get("kind").asText()).isEqualTo("agent-joined");
                customer.next(e -> e.name().equals("status") && e.data().get("owner").asText().equals("agent"));

                // the customer on node A writes; the agent's socket on node B has it
                assertThat(customerNode.say(high, "My line drops every evening", "live-h2").get("text").asText()).isEmpty();
                JsonNode fromCustomer = dana.next(f -> messageOf(f, high)).get("message");
                assertThat(fromCustomer.get("role").asText()).isEqualTo("customer");
                assertThat(fromCustomer.get("text").asText()).isEqualTo("My line drops every evening");

                // the agent on node B writes; the customer's stream on node A has it
                assertThat(console.act("messages", high, "{\"text\":\"Hi, Dana here. Let me look at your line.\",\"clientMessageId\":\"d1\"}"))
                        .isEqualTo(200);
                JsonNode fromAgent = customer.next(e -> e.name().equals("message")
                        && e.data().get("role").asText().equals("agent")).data();
                assertThat(fromAgent.get("text").asText()).isEqualTo("Hi, Dana here. Let me look at your line.");
                assertThat(fromAgent.get("agentName").asText()).isEqualTo("dana");

                assertThat(console.act("resolve", high, "{\"disposition\":\"retained\"}")).isEqualTo(200);
                customer.next(e -> e.name().equals("status") && e.data().get("owner").asText().equals("bot"));
            }
            List<String> roles = roles(customerNode.transcript(high));
            assertThat(roles.subList(roles.indexOf("system"), roles.size())).doesNotContain("bot");

            // Dana's open console holds her claim past the lease; when her connection drops, it lapses
            assertThat(console.act("claim", low, null)).isEqualTo(200);
            dana.next(f -> messageOf(f, low));
            Thread.sleep(2_000L * LEASE_SECONDS);
            assertThat(queue(customerNode)).doesNotContain(id(low));
            dana.drop();
            eventually(() -> queue(customerNode).contains(id(low)));
            JsonNode told = customerNode.transcript(low);
            assertThat(told.get(told.size() - 1).get("kind").asText()).isEqualTo("requeued");
        }
    }

    @Test
    @Order(2)
    void theRightCustomerReachesAPersonFirstAndNoneIsLost() throws Exception {
        online("ana");
        online("ben");
        JsonNode low = customerNode.openVerified(Customers.lowRisk(TABLE), IDENTITY_SECRET);
        JsonNode high = customerNode.openVerified(Customers.highRisk(TABLE), IDENTITY_SECRET);
        assertThat(customerNode.say(low, "Can I talk to a real person?", "l1").get("decision").asText()).isEqualTo("HANDOFF");
        assertThat(customerNode.say(high, "I need a human", "h1").get("decision").asText()).isEqualTo("HANDOFF");
        List<String> order = queue(agentNode);
        assertThat(order.indexOf(id(high))).isLessThan(order.indexOf(id(low)));

        // Ana on the other node takes the high-risk customer; the bot says nothing from then on
        assertThat(act("claim", high, "ana", null)).isEqualTo(200);
        assertThat(act("claim", high, "ben", null)).isEqualTo(409);
        // Ana's console renews her lease while she works, as a live console does
        ScheduledExecutorService console = Executors.newSingleThreadScheduledExecutor();
        console.scheduleWithFixedDelay(() -> {
            try {
                act("lease", high, "ana", null);
            } catch (Exception redisOrNodeBusy) {
                // the next renewal will do
            }
        }, 1, 1, TimeUnit.SECONDS);
        assertThat(customerNode.say(high, "hello? anyone?", "h2").get("text").asText()).isEmpty();
        assertThat(act("messages", high, "ana", "{\"text\":\"Hi, Ana here. How can I help?\",\"clientMessageId\":\"a1\"}"))
                .isEqualTo(200);
        JsonNode transcript = customerNode.transcript(high);
        assertThat(transcript.get(transcript.size() - 1).get("role").asText()).isEqualTo("agent");
        assertThat(customerNode.say(high, "I want to cancel because of the outages", "h3").get("text").asText()).isEmpty();
        JsonNode view = KeelProcess.JSON.readTree(agent(agentNode, "GET", "/conversations/" + id(high), "ana", null).body());
        assertThat(view.get("messages").get(view.get("messages").size() - 1).get("text").asText())
                .isEqualTo("I want to cancel because of the outages");

        // Ben claims the low-risk customer and vanishes: the ticket returns to the queue
        assertThat(act("claim", low, "ben", null)).isEqualTo(200);
        assertThat(queue(customerNode)).doesNotContain(id(low));
        eventually(() -> queue(customerNode).contains(id(low)));

        // the customer's node is killed mid-hand-off, under the customer's open event stream: the
        // other node has everything, and the stream resumes there with no gap and no repeat
        JsonNode third = customerNode.open(null);
        customerNode.say(third, "let me speak with an agent", "t1");
        String lastSeen;
        try (LiveClients.EventStream stream = new LiveClients.EventStream(customerNode, third)) {
            lastSeen = stream.next(e -> e.name().equals("message") && e.data().get("role").asText().equals("system")).id();
            customerNode.kill();
        }
        assertThat(queue(agentNode)).contains(id(third));
        assertThat(agentNode.transcript(third)).hasSize(2);
        assertThat(agentNode.say(third, "still there?", "t2").get("text").asText()).isEmpty();
        try (LiveClients.EventStream resumed = new LiveClients.EventStream(agentNode, third, lastSeen)) {
            LiveClients.Event next = resumed.next(e -> e.name().equals("message"));
            assertThat(next.data().get("text").asText()).isEqualTo("still there?");
            assertThat(Long.parseLong(next.id())).isEqualTo(Long.parseLong(lastSeen) + 1);
        }

        // Redis restarts: no acknowledged message or ticket is lost
        redis.stop();
        redis = startRedis();
        eventually(() -> agentNode.get("/health/ready", null).statusCode() == 200);
        assertThat(queue(agentNode)).contains(id(third), id(low));
        assertThat(roles(agentNode.transcript(third))).containsExactly("customer", "system", "customer");

        // Ana resolves; no bot message was written after the hand-off
        console.shutdownNow();
        console.awaitTermination(10, TimeUnit.SECONDS);
        assertThat(act("resolve", high, "ana", "{\"disposition\":\"retained\"}")).isEqualTo(200);
        List<String> highRoles = roles(agentNode.transcript(high));
        assertThat(highRoles.subList(1, highRoles.size())).doesNotContain("bot");
        assertThat(highRoles).endsWith("system");
    }
}

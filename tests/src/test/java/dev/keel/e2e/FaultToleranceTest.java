package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two Keel nodes share one Redis. While 200 customers chat, Redis is killed and started again, and
 * one node is killed for good. Customers retry what was not acknowledged, with the same client
 * message id, on whichever node answers. Afterwards every acknowledged message is in its transcript
 * exactly once and every acknowledged hand-off is in the queue.
 */
class FaultToleranceTest {
    private static final Path SHARED = Path.of(System.getProperty("keel.shared.data", "../../shared/data"));
    private static final String AGENT_TOKEN = "fault-test-agent-token";
    private static final int CONVERSATIONS = 200;
    private static final int MESSAGES_EACH = 3;
    private static final long GIVE_UP_MILLIS = 60_000;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void acknowledgedMessagesAndHandOffsSurviveKillingRedisAndOneNode(@TempDir Path dir) throws Exception {
        RedisProcess redis = new RedisProcess(dir.resolve("redis")).start();
        running.add(redis);
        Map<String, String> env = Map.of("REDIS_URL", redis.url(), "KEEL_AGENT_TOKEN", AGENT_TOKEN);
        String[] args = {"--kb", SHARED.resolve("stackfaq/articles").toString(),
                "--customers", SHARED.resolve("telco-churn/telco_churn_shared.csv").toString()};
        KeelProcess doomed = KeelProcess.start(dir.resolve("node-a"), env, args);
        KeelProcess survivor = KeelProcess.start(dir.resolve("node-b"), env, args);
        running.add(doomed);
        running.add(survivor);
        List<String> questions = questions();

        Map<Integer, JsonNode> conversations = new ConcurrentHashMap<>();
        Map<Integer, Set<String>> acknowledged = new ConcurrentHashMap<>();
        Set<String> handedOff = ConcurrentHashMap.newKeySet();
        AtomicInteger acks = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        KeelProcess[] nodes = {doomed, survivor};
        AtomicBoolean doomedAlive = new AtomicBoolean(true);

        ExecutorService customers = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            int n = c;
            work.add(customers.submit(() -> {
                JsonNode conversation = retry(retries, () -> pick(nodes, doomedAlive, n).open(null));
                conversations.put(n, conversation);
                for (int m = 0; m < MESSAGES_EACH; m++) {
                    boolean wantsPerson = n % 5 == 0 && m == MESSAGES_EACH - 1;
                    String text = wantsPerson ? "Please let me talk to a real person."
                            : questions.get((n * MESSAGES_EACH + m) % questions.size());
                    String id = "c" + n + "-m" + m;
                    int attempt = m;
                    JsonNode reply = retry(retries, () -> say(pick(nodes, doomedAlive, n + attempt), conversation, text, id));
                    acknowledged.computeIfAbsent(n, k -> ConcurrentHashMap.newKeySet()).add(id);
                    acks.incrementAndGet();
                    if (reply.get("decision").asText().equals("HANDOFF")) {
                        handedOff.add(conversation.get("conversationId").asText());
                    }
                }
                return null;
            }));
        }

        awaitAcks(acks, 100);
        redis.kill();
        Thread.sleep(1000);
        redis.start();
        awaitAcks(acks, 300);
        doomedAlive.set(false);
        doomed.kill();

        for (Future<?> each : work) {
            each.get(5, TimeUnit.MINUTES);
        }
        customers.shutdown();

        int checkedMessages = 0;
        for (Map.Entry<Integer, JsonNode> entry : conversations.entrySet()) {
            Map<String, Integer> seen = new HashMap<>();
            for (JsonNode message : survivor.transcript(entry.getValue())) {
                if (message.get("role").asText().equals("customer")) {
                    seen.merge(message.get("clientMessageId").asText(), 1, Integer::sum);
                }
            }
            for (String id : acknowledged.getOrDefault(entry.getKey(), Set.of())) {
                assertThat(seen.get(id)).as("times message %s is in its transcript", id).isEqualTo(1);
                checkedMessages++;
            }
        }
        JsonNode queue = KeelProcess.JSON.readTree(survivor.get("/api/v1/handoffs", AGENT_TOKEN).body()).get("handoffs");
        List<String> waiting = new ArrayList<>();
        queue.forEach(h -> waiting.add(h.get("conversationId").asText()));
        assertThat(waiting).containsAll(handedOff);

        System.out.printf("e2e faults: conversations=%d acknowledgedMessages=%d retries=%d handOffs=%d, all intact%n",
                conversations.size(), checkedMessages, retries.get(), handedOff.size());
        assertThat(conversations).hasSize(CONVERSATIONS);
        assertThat(checkedMessages).isEqualTo(CONVERSATIONS * MESSAGES_EACH);
        assertThat(handedOff).hasSizeGreaterThanOrEqualTo(CONVERSATIONS / 5);
    }

    private static KeelProcess pick(KeelProcess[] nodes, AtomicBoolean doomedAlive, int n) {
        return doomedAlive.get() ? nodes[n % 2] : nodes[1];
    }

    private static JsonNode say(KeelProcess node, JsonNode conversation, String text, String id) throws Exception {
        ObjectNode body = KeelProcess.JSON.createObjectNode().put("text", text).put("clientMessageId", id);
        HttpResponse<String> response = node.post("/api/v1/conversations/" + conversation.get("conversationId").asText()
                + "/messages", conversation.get("token").asText(), body.toString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("not acknowledged: " + response.statusCode() + " " + response.body());
        }
        return KeelProcess.JSON.readTree(response.body()).get("reply");
    }

    interface Attempt {
        JsonNode run() throws Exception;
    }

    /** What a careful client does: try again, the same request, until it is acknowledged. */
    private static JsonNode retry(AtomicInteger retries, Attempt attempt) throws Exception {
        long deadline = System.currentTimeMillis() + GIVE_UP_MILLIS;
        while (true) {
            try {
                return attempt.run();
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                retries.incrementAndGet();
                Thread.sleep(200);
            }
        }
    }

    private static void awaitAcks(AtomicInteger acks, int atLeast) throws InterruptedException {
        long deadline = System.currentTimeMillis() + GIVE_UP_MILLIS;
        while (acks.get() < atLeast && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    private static List<String> questions() throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(SHARED.resolve("stackfaq/questions.jsonl"), StandardCharsets.UTF_8)) {
            out.add(KeelProcess.JSON.readTree(line).get("question").asText());
        }
        return out;
    }
}

package dev.keel.server;

import dev.keel.churn.RiskBand;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;

import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue and its leases on a real embedded Redis, with explicit clock values so that nothing
 * depends on how fast the machine is.
 */
class HandoffsTest {
    private static EmbeddedRedis redis;
    private static JedisPool pool;
    private static Store store;
    private static final EscalationConfig CONFIG = EscalationConfig.defaults();
    private static final long LEASE = CONFIG.leaseSeconds() * 1000L;
    private static final long T0 = 1_800_000_000_000L;

    @BeforeAll
    static void start() throws Exception {
        redis = EmbeddedRedis.start(Files.createTempDirectory("keel-handoffs"), "everysec");
        pool = new JedisPool(URI.create(redis.url()), 2000);
        store = new Store(pool);
    }

    @AfterAll
    static void stop() {
        pool.close();
        redis.close();
    }

    private final Handoffs handoffs = new Handoffs(store, CONFIG);

    /** A conversation handed off at {@code createdAt} with the given priority. */
    private String handedOff(double priority, long createdAt) {
        String id = UUID.randomUUID().toString();
        store.createConversation(id, Map.of("tokenHash", "hash", "owner", "BOT", "createdAt", Long.toString(createdAt)));
        JsonObject message = new JsonObject().put("role", "customer").put("text", "a person please");
        JsonObject reply = new JsonObject().put("text", "queued");
        JsonObject signals = new JsonObject().put("decision", "HANDOFF").put("reasons", List.of("INTENT_HUMAN"));
        store.recordTurn(id, new Store.Turn("m1", message, Notices.system("handoff", "queued", createdAt), reply, "BOT",
                new JsonObject().put("createdAt", createdAt), handoffs.score(priority, createdAt), signals), 1000);
        return id;
    }

    private static JsonObject notice() {
        return Notices.system("test", "notice", T0);
    }

    private static String owner(String id) {
        return store.conversation(id).orElseThrow().get("owner");
    }

    @Test
    void aTicketWhoseAgentVanishesReturnsToTheQueueAndARenewedOneStays() {
        String id = handedOff(4, T0);
        assertThat(handoffs.claim(id, "ann", notice(), T0).done()).isTrue();
        assertThat(handoffs.claim(id, "bob", notice(), T0).done()).isFalse();
        assertThat(owner(id)).isEqualTo("agent:ann");
        assertThat(handoffs.position(id)).isEmpty();

        // renewed half-way: still Ann's when the first lease would have run out
        assertThat(handoffs.claim(id, "ann", notice(), T0 + LEASE / 2).ownerFound()).isEqualTo("RENEWED");
        assertThat(handoffs.requeueExpired(T0 + LEASE + 1, p -> notice())).doesNotContain(id);
        assertThat(owner(id)).isEqualTo("agent:ann");

        // Ann vanishes: after the renewed lease the ticket is back in the queue, with a notice
        assertThat(handoffs.requeueExpired(T0 + LEASE / 2 + LEASE + 1, p -> notice())).contains(id);
        assertThat(owner(id)).isEqualTo("QUEUE");
        assertThat(handoffs.position(id)).isPresent();
        assertThat(store.transcript(id).getJsonObject(store.transcript(id).size() - 1).getString("kind")).isEqualTo("test");
        assertThat(handoffs.agentSays(id, "ann", new JsonObject(), "late", T0 + 3 * LEASE).done()).isFalse();
        assertThat(handoffs.claim(id, "bob", notice(), T0 + 3 * LEASE).done()).isTrue();
    }

    @Test
    void renewingAllOfAnAgentsClaimsKeepsThemAndLeavesOtherAgentsAlone() {
        String first = handedOff(4, T0);
        String second = handedOff(3, T0);
        String others = handedOff(2, T0);
        assertThat(handoffs.claim(first, "cara", notice(), T0).done()).isTrue();
        assertThat(handoffs.claim(second, "cara", notice(), T0).done()).isTrue();
        assertThat(handoffs.claim(others, "dev", notice(), T0).done()).isTrue();

        // Cara's console is open: both her claims outlive the first lease, Dev's does not
        assertThat(handoffs.renewAll("cara", T0 + LEASE / 2)).isEqualTo(2);
        assertThat(handoffs.requeueExpired(T0 + LEASE + 1, p -> notice())).contains(others).doesNotContain(first, second);
        assertThat(owner(first)).isEqualTo("agent:cara");
        assertThat(owner(others)).isEqualTo("QUEUE");

        // her console closes: nothing renews them, and they return to the queue after the lease
        assertThat(handoffs.requeueExpired(T0 + LEASE / 2 + LEASE + 1, p -> notice())).contains(first, second);
        assertThat(handoffs.renewAll("cara", T0 + 2 * LEASE)).isZero();
    }

    @Test
    void waitingLongEnoughOvertakesAHigherPrioritySoNobodyStarves() {
        String early = handedOff(Handoffs.priority(RiskBand.LOW, 0.05, OptionalDouble.empty()), T0 - 120 * 60_000L);
        String late = handedOff(Handoffs.priority(RiskBand.HIGH, 0.9, OptionalDouble.of(110)), T0);
        String now = handedOff(Handoffs.priority(RiskBand.LOW, 0.05, OptionalDouble.empty()), T0);
        List<String> order = handoffs.queue(1000, T0).stream().map(e -> e.getString("conversationId")).toList();
        assertThat(order.indexOf(early)).isLessThan(order.indexOf(late));
        assertThat(order.indexOf(late)).isLessThan(order.indexOf(now));
        assertThat(handoffs.queue(1000, T0).stream().filter(e -> e.getString("conversationId").equals(early))
                .findFirst().orElseThrow().getLong("waitedMinutes")).isEqualTo(120);
    }

    @Test
    void theCustomerValueRaisesThePriorityWithinABand() {
        assertThat(Handoffs.priority(RiskBand.MEDIUM, 0.4, OptionalDouble.of(110)))
                .isGreaterThan(Handoffs.priority(RiskBand.MEDIUM, 0.4, OptionalDouble.empty()))
                .isGreaterThan(Handoffs.priority(RiskBand.MEDIUM, 0.4, OptionalDouble.of(20)));
        assertThat(Handoffs.priority(RiskBand.HIGH, 0.5, OptionalDouble.of(20)))
                .isGreaterThan(Handoffs.priority(RiskBand.MEDIUM, 0.9, OptionalDouble.of(120)));
    }

    @Test
    void everyDecisionIsAppendedToTheCappedAuditStream() {
        long before = store.call(j -> j.xlen(Store.AUDIT));
        String id = handedOff(3, T0);
        long after = store.call(j -> j.xlen(Store.AUDIT));
        assertThat(after).isEqualTo(before + 1);
        assertThat(store.signals(id)).singleElement().satisfies(s -> assertThat(s.getString("decision")).isEqualTo("HANDOFF"));
    }

    @Test
    void presenceLastsForTheWindowAfterTheHeartbeat() {
        handoffs.heartbeat("cy", "Cy", 3, T0);
        assertThat(handoffs.onlineCapacity(T0 + 1000)).isGreaterThanOrEqualTo(3);
        assertThat(handoffs.online(T0 + CONFIG.presenceSeconds() * 1000L + 1).stream()
                .map(a -> ((JsonObject) a).getString("agentId"))).doesNotContain("cy");
        assertThat(handoffs.expectedWaitMinutes(7, T0 + 1000)).isLessThan(handoffs.expectedWaitMinutes(7, T0 + 10 * 60_000L));
    }
}

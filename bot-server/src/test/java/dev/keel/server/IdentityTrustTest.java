package dev.keel.server;

import io.vertx.core.json.JsonObject;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

import java.io.Reader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kind K-IDENTITY-TRUST over HTTP (CASES BUG-02): a visitor who only claims a customer id chats
 * unverified, and that customer's churn score is never read; a signed identity token links the
 * conversation; a conversation token reaches its own conversation only, and not after it expires.
 */
class IdentityTrustTest {
    private static IdentityTokens tokens;
    private static SecuredKeel keel;
    private static String riskyCustomer;

    @BeforeAll
    static void start() throws Exception {
        tokens = new IdentityTokens(Files.createTempDirectory("keel-identity"));
        keel = SecuredKeel.start(SecuredKeel.settings(tokens.secretFile, tokens.keysFile, IdentityTokens.AUDIENCE,
                List.of(), 0, Duration.ofSeconds(60)), Map.of("KEEL_AGENT_TOKEN", "identity-test-service-token"));
        riskyCustomer = riskyCustomer();
    }

    @AfterAll
    static void stop() {
        if (keel != null) {
            keel.close();
        }
    }

    private static String riskyCustomer() throws Exception {
        try (Reader in = Files.newBufferedReader(SecuredKeel.ROOT.resolve("churn/customers/telco_churn.csv"))) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in)) {
                if (r.get("Contract").equals("Month-to-month") && Integer.parseInt(r.get("tenure")) <= 2
                        && r.get("InternetService").equals("Fiber optic") && r.get("PaymentMethod").equals("Electronic check")
                        && r.get("Churn").equals("Yes")) {
                    return r.get("customerID");
                }
            }
        }
        throw new IllegalStateException("no risky customer in the bundled table");
    }

    /**
     * Whether a command Redis ran (as MONITOR shows it, each argument quoted) names the risky customer's score: their
     * bucket key and their id, the field.
     */
    private static boolean touchesRiskyCustomersScore(String command) {
        return command.contains("\"" + ScoreCache.bucketKey(riskyCustomer) + "\"")
                && command.contains("\"" + riskyCustomer + "\"");
    }

    /** Sends a marker through Redis until the monitor has seen it, so the monitor is known to be watching. */
    private static void awaitSeen(Queue<String> commands, String marker) throws InterruptedException {
        try (Jedis jedis = keel.redis()) {
            for (int i = 0; i < 600 && commands.stream().noneMatch(c -> c.contains(marker)); i++) {
                jedis.echo(marker);
                Thread.sleep(50);
            }
        }
        assertThat(commands).anyMatch(c -> c.contains(marker));
    }

    private static Map<String, String> stored(JsonObject conversation) {
        try (Jedis jedis = keel.redis()) {
            return jedis.hgetAll("keel:conv:" + conversation.getString("conversationId"));
        }
    }

    private static List<String> reasons(HttpResponse<String> reply) {
        assertThat(reply.statusCode()).isEqualTo(200);
        return new JsonObject(reply.body()).getJsonObject("reply").getJsonArray("reasons").stream().map(String::valueOf).toList();
    }

    @Test
    void aClaimedCustomerIdWithoutProofIsUnverifiedAndItsChurnScoreIsNeverRead() throws Exception {
        Queue<String> commands = new ConcurrentLinkedQueue<>();
        AutoCloseable watching = monitor(commands);

        // case 1 of BUG-02: no proof at all
        JsonObject bare = keel.open(new JsonObject().put("customerId", riskyCustomer));
        assertThat(bare.getString("identity")).isEqualTo("unverified");
        List<String> bareReasons = reasons(keel.say(bare, "I want to cancel my contract now."));
        // case 2: a made-up proof is refused outright
        HttpResponse<String> forged = keel.send("POST", "/api/v1/conversations",
                new JsonObject().put("customerId", riskyCustomer).put("identityToken", "abc123").encode());
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(SecuredKeel.error(forged).getString("code")).isEqualTo("identity_token_invalid");
        watching.close();

        assertThat(commands).noneMatch(IdentityTrustTest::touchesRiskyCustomersScore);
        assertThat(bareReasons).doesNotContain("CHURN_RISK_HIGH", "CHURN_RISK_MEDIUM", "CHURN_RISK_LOW");
        assertThat(stored(bare)).doesNotContainKey("customerId").containsEntry("claimedCustomerId", riskyCustomer)
                .containsEntry("identity", "unverified");

        // case 3: the company's backend signed the id; the conversation is that customer's
        JsonObject verified = keel.open(new JsonObject().put("identityToken",
                IdentityTokens.hs256(IdentityTokens.SECRET, riskyCustomer, IdentityTokens.AUDIENCE, Duration.ofMinutes(5))));
        assertThat(verified.getString("identity")).isEqualTo("verified");
        assertThat(reasons(keel.say(verified, "I want to cancel my contract now."))).contains("CHURN_RISK_HIGH");
        assertThat(stored(verified)).containsEntry("customerId", riskyCustomer);
    }

    private static JsonObject reply(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        return new JsonObject(response.body()).getJsonObject("reply");
    }

    /** Watches every command Redis runs until the returned handle is closed. */
    private static AutoCloseable monitor(Queue<String> commands) throws InterruptedException {
        Jedis monitor = keel.redis();
        Thread watcher = new Thread(() -> {
            try {
                monitor.monitor(new JedisMonitor() {
                    @Override
                    public void onCommand(String command) {
                        commands.add(command);
                    }
                });
            } catch (RuntimeException closed) {
                // the test closed the connection
            }
        });
        watcher.setDaemon(true);
        watcher.start();
        awaitSeen(commands, "monitor-started-" + System.nanoTime());
        return () -> {
            awaitSeen(commands, "monitor-done-" + System.nanoTime());
            monitor.close();
        };
    }

    @Test
    void anUnverifiedVisitorAskingAboutTheirAccountIsAskedToSignInAndNoScoreIsRead() throws Exception {
        String question = "When does my plan renew?";
        Queue<String> commands = new ConcurrentLinkedQueue<>();
        JsonObject claimedAsked;
        JsonObject anonymousAsked;
        JsonObject general;
        JsonObject verifiedAsked;
        try (AutoCloseable watching = monitor(commands)) {
            JsonObject claimed = keel.open(new JsonObject().put("customerId", riskyCustomer));
            claimedAsked = reply(keel.say(claimed, question));
            reply(keel.say(claimed, "What is my balance"));
            reply(keel.say(claimed, "why is my bill so high"));
            reply(keel.say(claimed, "change my billing address"));
            anonymousAsked = reply(keel.say(keel.open(new JsonObject()), question));
            general = reply(keel.say(keel.open(new JsonObject().put("customerId", riskyCustomer)),
                    "How do I pause a plan?"));
        }
        assertThat(commands).noneMatch(IdentityTrustTest::touchesRiskyCustomersScore);
        assertThat(commands).noneMatch(c -> c.contains("keel:customer:" + riskyCustomer));

        for (JsonObject signIn : List.of(claimedAsked, anonymousAsked)) {
            assertThat(signIn.getJsonArray("reasons")).containsExactly(EscalationPolicy.ACCOUNT_NEEDS_SIGN_IN);
            assertThat(signIn.getString("template")).startsWith("reply-sign-in@");
            assertThat(signIn.getString("text")).containsIgnoringCase("sign in");
            assertThat(signIn.getJsonArray("citations")).isEmpty();
            assertThat(signIn.getString("decision")).isEqualTo("ANSWER_AND_OFFER_HUMAN");
        }
        assertThat(general.getJsonArray("reasons")).doesNotContain(EscalationPolicy.ACCOUNT_NEEDS_SIGN_IN);
        assertThat(general.getJsonArray("citations")).isNotEmpty();

        // the same question from the customer, signed in, takes the normal path and reads their score
        Queue<String> verifiedCommands = new ConcurrentLinkedQueue<>();
        try (AutoCloseable watching = monitor(verifiedCommands)) {
            JsonObject verified = keel.open(new JsonObject().put("identityToken",
                    IdentityTokens.hs256(IdentityTokens.SECRET, riskyCustomer, IdentityTokens.AUDIENCE, Duration.ofMinutes(5))));
            verifiedAsked = reply(keel.say(verified, question));
        }
        assertThat(verifiedAsked.getJsonArray("reasons")).doesNotContain(EscalationPolicy.ACCOUNT_NEEDS_SIGN_IN);
        assertThat(verifiedAsked.getString("template")).doesNotStartWith("reply-sign-in");
        assertThat(verifiedCommands).anyMatch(IdentityTrustTest::touchesRiskyCustomersScore);
    }

    @Test
    void everyBadIdentityTokenIsRefusedWithItsCodeAndOpensNothing() throws Exception {
        Map<String, String> bad = Map.of(
                IdentityTokens.unsigned(riskyCustomer), "identity_token_invalid",
                IdentityTokens.hs256(IdentityTokens.SECRET, riskyCustomer, IdentityTokens.AUDIENCE, Duration.ofMinutes(-5)),
                "identity_token_expired",
                IdentityTokens.hs256(IdentityTokens.SECRET, riskyCustomer, "elsewhere", Duration.ofMinutes(5)),
                "identity_token_wrong_audience",
                IdentityTokens.rs256WithStrangeKey("rsa-2026", riskyCustomer), "identity_token_invalid",
                tokens.rs256("rsa-1999", riskyCustomer), "identity_token_invalid",
                tokens.hs256WithPublicKeyAsSecret(riskyCustomer), "identity_token_invalid");
        long before = conversationCount();
        for (Map.Entry<String, String> token : bad.entrySet()) {
            HttpResponse<String> response = keel.send("POST", "/api/v1/conversations",
                    new JsonObject().put("identityToken", token.getKey()).encode());
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(SecuredKeel.error(response).getString("code")).isEqualTo(token.getValue());
        }
        assertThat(conversationCount()).isEqualTo(before);
        assertThat(keel.open(new JsonObject().put("identityToken", tokens.rs256("rsa-2026", "CUST-R")))
                .getString("identity")).isEqualTo("verified");
        assertThat(keel.open(new JsonObject().put("identityToken", tokens.es256("CUST-E")))
                .getString("identity")).isEqualTo("verified");
    }

    private static long conversationCount() {
        try (Jedis jedis = keel.redis()) {
            return jedis.keys("keel:conv:*").stream().filter(k -> k.chars().filter(c -> c == ':').count() == 2).count();
        }
    }

    @Test
    void aConversationTokenReachesOnlyItsOwnConversationAndNotAfterItExpires() throws Exception {
        JsonObject mine = keel.open(new JsonObject());
        JsonObject theirs = keel.open(new JsonObject());
        HttpResponse<String> crossed = keel.send("GET", SecuredKeel.messages(theirs), null,
                "Authorization", "Bearer " + mine.getString("token"));
        assertThat(crossed.statusCode()).isEqualTo(401);
        HttpResponse<String> crossedPost = keel.send("POST", SecuredKeel.messages(theirs),
                new JsonObject().put("text", "hello").put("clientMessageId", "x").encode(),
                "Authorization", "Bearer " + mine.getString("token"));
        assertThat(crossedPost.statusCode()).isEqualTo(401);
        assertThat(keel.send("GET", SecuredKeel.messages(theirs), null).statusCode()).isEqualTo(401);
        assertThat(keel.say(mine, "How do I pause my plan?").statusCode()).isEqualTo(200);

        try (Jedis jedis = keel.redis()) {
            jedis.hset("keel:conv:" + mine.getString("conversationId"), "tokenExpiresAt",
                    Long.toString(System.currentTimeMillis() - 1));
        }
        HttpResponse<String> expired = keel.say(mine, "still there?");
        assertThat(expired.statusCode()).isEqualTo(401);
        assertThat(SecuredKeel.error(expired).getString("code")).isEqualTo("token_expired");
    }

    @Test
    void theHandOffTicketSaysWhetherTheCustomerIsVerified() throws Exception {
        JsonObject bare = keel.open(new JsonObject().put("customerId", riskyCustomer));
        keel.say(bare, "I want to talk to a person");
        HttpResponse<String> queue = keel.send("GET", "/api/v1/handoffs", null,
                "Authorization", "Bearer identity-test-service-token");
        assertThat(queue.statusCode()).isEqualTo(200);
        JsonObject ticket = new JsonObject(queue.body()).getJsonArray("handoffs").stream().map(JsonObject.class::cast)
                .filter(t -> t.getString("conversationId").equals(bare.getString("conversationId"))).findFirst().orElseThrow();
        assertThat(ticket.getString("identity")).isEqualTo("unverified");
        assertThat(ticket.containsKey("customerId") && ticket.getValue("customerId") != null).isFalse();
    }
}

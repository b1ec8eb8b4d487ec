package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole path through the packaged server, over HTTP only: the StackFAQ knowledge base, the
 * Telco customer table, embedded Redis, churn scores, the escalation decision, the hand-off queue
 * and a restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalkingSkeletonTest {
    private static final Path SHARED = Path.of(System.getProperty("keel.shared.data", "../../shared/data"));
    private static Path data;
    private static KeelProcess keel;
    private static final Map<JsonNode, Integer> CONVERSATIONS = new LinkedHashMap<>();
    /** The company backend's secret for signing customer identity tokens, shared with Keel. */
    private static final String IDENTITY_SECRET = "walking-skeleton-identity-secret-0123456789";
    private static final String ADMIN_PASSWORD = "walking-skeleton-admin-password";

    @BeforeAll
    static void start() throws Exception {
        data = Files.createTempDirectory("keel-e2e");
        Files.writeString(data.resolve("identity-secret"), IDENTITY_SECRET);
        keel = startKeel();
    }

    private static KeelProcess startKeel() throws Exception {
        return KeelProcess.start(data, Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD),
                "--kb", SHARED.resolve("stackfaq/articles").toString(),
                "--customers", SHARED.resolve("telco-churn/telco_churn_shared.csv").toString(),
                "--identity-secret-file", data.resolve("identity-secret").toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (keel != null) {
            keel.close();
        }
    }

    @Test
    @Order(1)
    void answersStackFaqQuestionsWithRelevantCitationsOrAnHonestOfferOfAPerson() throws Exception {
        List<String> lines = Files.readAllLines(SHARED.resolve("stackfaq/questions.jsonl"), StandardCharsets.UTF_8);
        int asked = 0;
        int firstCitationRelevant = 0;
        int declined = 0;
        int step = lines.size() / 50;
        for (int i = 0; i < lines.size() && asked < 50; i += step) {
            JsonNode question = KeelProcess.JSON.readTree(lines.get(i));
            List<String> relevant = new ArrayList<>();
            question.get("relevant").forEach(r -> relevant.add(r.asText()));
            JsonNode conversation = keel.open(null);
            JsonNode reply = keel.say(conversation, question.get("question").asText(), UUID.randomUUID().toString());
            asked++;
            CONVERSATIONS.put(conversation, 2);
            JsonNode citations = reply.get("citations");
            if (citations.isEmpty()) {
                declined++;
                assertThat(reply.get("decision").asText()).isIn("ANSWER_AND_OFFER_HUMAN", "HANDOFF");
                assertThat(reply.get("text").asText()).containsIgnoringCase("person");
            } else if (relevant.contains(citations.get(0).get("articleId").asText())) {
                firstCitationRelevant++;
            }
        }
        double share = (double) firstCitationRelevant / asked;
        System.out.printf("e2e stackfaq: asked=%d firstCitationRelevant=%d (%.1f %%) declinedWithOfferOfPerson=%d%n",
                asked, firstCitationRelevant, 100 * share, declined);
        assertThat(asked).isEqualTo(50);
        assertThat(share).isGreaterThanOrEqualTo(0.60);
    }

    @Test
    @Order(2)
    void highRiskCustomerWhoWantsToCancelIsHandedOffAndQueued() throws Exception {
        String customer = Customers.highRisk(SHARED.resolve("telco-churn/telco_churn_shared.csv"));
        JsonNode conversation = keel.openVerified(customer, IDENTITY_SECRET);
        JsonNode reply = keel.say(conversation, "I want to cancel my contract.", UUID.randomUUID().toString());
        CONVERSATIONS.put(conversation, 2);
        System.out.printf("e2e high-risk customer %s: decision=%s reasons=%s%n", customer, reply.get("decision"), reply.get("reasons"));
        assertThat(reply.get("decision").asText()).isEqualTo("HANDOFF");
        assertThat(texts(reply.get("reasons"))).contains("INTENT_CHURN", "CHURN_RISK_HIGH");

        String session = keel.signIn("admin", ADMIN_PASSWORD);
        JsonNode queue = KeelProcess.JSON.readTree(keel.getSignedIn("/api/v1/handoffs", session).body()).get("handoffs");
        List<String> waiting = new ArrayList<>();
        queue.forEach(h -> waiting.add(h.get("conversationId").asText()));
        assertThat(waiting).contains(conversation.get("conversationId").asText());
        assertThat(keel.get("/api/v1/handoffs", "wrong").statusCode()).isEqualTo(401);

        JsonNode claimed = keel.open(customer);
        JsonNode claimedReply = keel.say(claimed, "I want to cancel my contract.", UUID.randomUUID().toString());
        CONVERSATIONS.put(claimed, 2);
        assertThat(texts(claimedReply.get("reasons")))
                .as("a customer id claimed without proof is never linked to the customer's churn score")
                .doesNotContain("CHURN_RISK_HIGH", "CHURN_RISK_MEDIUM", "CHURN_RISK_LOW");
    }

    @Test
    @Order(3)
    void lowRiskCustomerAskingHowToGetsAnAnswer() throws Exception {
        String customer = Customers.lowRisk(SHARED.resolve("telco-churn/telco_churn_shared.csv"));
        JsonNode conversation = keel.openVerified(customer, IDENTITY_SECRET);
        JsonNode reply = keel.say(conversation, "How do I write strikethrough text in GitHub markdown?", UUID.randomUUID().toString());
        CONVERSATIONS.put(conversation, 2);
        assertThat(reply.get("decision").asText()).isEqualTo("ANSWER");
        assertThat(reply.get("citations").get(0).get("articleId").asText()).isEqualTo("sf-001");
    }

    @Test
    @Order(4)
    void theSameClientMessageIdIsStoredOnceAndGetsTheSameReply() throws Exception {
        JsonNode conversation = keel.open(null);
        String id = UUID.randomUUID().toString();
        JsonNode first = keel.say(conversation, "How can I delete my facebook account?", id);
        JsonNode again = keel.say(conversation, "How can I delete my facebook account?", id);
        CONVERSATIONS.put(conversation, 2);
        assertThat(again).isEqualTo(first);
        assertThat(keel.transcript(conversation)).hasSize(2);
    }

    @Test
    @Order(5)
    void restartingTheServerLosesNoStoredMessage() throws Exception {
        Map<String, String> before = new LinkedHashMap<>();
        for (Map.Entry<JsonNode, Integer> entry : CONVERSATIONS.entrySet()) {
            JsonNode transcript = keel.transcript(entry.getKey());
            assertThat(transcript).hasSize(entry.getValue());
            before.put(entry.getKey().get("conversationId").asText(), transcript.toString());
        }
        keel.close();
        keel = startKeel();
        for (JsonNode conversation : CONVERSATIONS.keySet()) {
            assertThat(keel.transcript(conversation).toString())
                    .isEqualTo(before.get(conversation.get("conversationId").asText()));
        }
        System.out.printf("e2e restart: %d conversations, %d messages intact%n", before.size(),
                CONVERSATIONS.values().stream().mapToInt(Integer::intValue).sum());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

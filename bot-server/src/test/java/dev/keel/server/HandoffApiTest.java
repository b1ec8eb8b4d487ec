package dev.keel.server;

import dev.keel.churn.CustomerTable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-offs through the real server in process, on a real embedded Redis: who owns a conversation
 * is enforced and always told to the customer (K-HANDOFF-STATE), the queue follows the priority,
 * visitor HTML never reaches the agent (K-OUTPUT-ESCAPING), and with no one online the customer
 * can leave an address.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HandoffApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static KeelServer server;
    private static String agentToken;
    private static CustomerTable customers;
    private static TestKeel.Running running;

    @BeforeAll
    static void start() throws Exception {
        running = TestKeel.start(EscalationConfig.defaults());
        server = running.server();
        agentToken = running.agentToken();
        customers = CustomerTable.load(TestKeel.ROOT.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    // --- the conversation from the customer's side

    private record Conversation(String id, String token) {
    }

    private static Conversation open(String customerId) throws Exception {
        JsonObject body = customerId == null ? new JsonObject()
                : new JsonObject().put("customerId", customerId).put("identityToken", running.identityToken(customerId));
        JsonObject created = new JsonObject(send("POST", "/api/v1/conversations", null, null, body).body());
        return new Conversation(created.getString("conversationId"), created.getString("token"));
    }

    private static JsonObject say(Conversation c, String text) throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/conversations/" + c.id() + "/messages", c.token(), null,
                new JsonObject().put("text", text).put("clientMessageId", UUID.randomUUID().toString()));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new JsonObject(response.body()).getJsonObject("reply");
    }

    private static List<JsonObject> transcript(Conversation c) throws Exception {
        JsonArray messages = new JsonObject(send("GET", "/api/v1/conversations/" + c.id() + "/messages", c.token(), null, null)
                .body()).getJsonArray("messages");
        List<JsonObject> out = new ArrayList<>();
        messages.forEach(m -> out.add((JsonObject) m));
        return out;
    }

    private static JsonObject status(Conversation c) throws Exception {
        return new JsonObject(send("GET", "/api/v1/conversations/" + c.id() + "/status", c.token(), null, null).body());
    }

    // --- the agent's side

    private static HttpResponse<String> agent(String method, String path, String agentId, JsonObject body) throws Exception {
        return send(method, "/api/v1/agent" + path, agentToken, agentId, body);
    }

    private static HttpResponse<String> onConversation(String action, Conversation c, String agentId, JsonObject body) throws Exception {
        return agent("POST", "/conversations/" + c.id() + "/" + action, agentId, body);
    }

    private static void online(String agentId, boolean online) throws Exception {
        assertThat(agent("POST", "/presence", agentId, new JsonObject().put("name", "Agent " + agentId).put("online", online))
                .statusCode()).isEqualTo(200);
    }

    private static List<String> queueOrder() throws Exception {
        JsonArray handoffs = new JsonObject(agent("GET", "/queue", "agent-1", null).body()).getJsonArray("handoffs");
        List<String> ids = new ArrayList<>();
        handoffs.forEach(h -> ids.add(((JsonObject) h).getString("conversationId")));
        return ids;
    }

    private static HttpResponse<String> send(String method, String path, String token, String agentId, JsonObject body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (agentId != null) {
            request.header(AgentApi.AGENT_HEADER, agentId);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String customer(Predicate<Map<String, String>> wanted) {
        return customers.ids().stream().filter(id -> wanted.test(customers.record(id).orElseThrow())).findFirst().orElseThrow();
    }

    private static String highRiskCustomer() {
        return customer(r -> r.get("Contract").equals("Month-to-month") && Integer.parseInt(r.get("tenure")) <= 2
                && r.get("InternetService").equals("Fiber optic") && r.get("PaymentMethod").equals("Electronic check"));
    }

    private static String lowRiskCustomer() {
        return customer(r -> r.get("Contract").equals("Two year") && Integer.parseInt(r.get("tenure")) >= 60
                && !r.get("InternetService").equals("Fiber optic"));
    }

    private static List<String> roles(List<JsonObject> messages) {
        return messages.stream().map(m -> m.getString("role")).toList();
    }

    @Test
    @Order(1)
    void withNoAgentOnlineTheCustomerIsToldSoAndCanLeaveAnAddress() throws Exception {
        online("agent-1", false);
        online("agent-2", false);
        Conversation c = open(null);
        JsonObject reply = say(c, "Can I talk to a real person?");
        assertThat(reply.getString("decision")).isEqualTo("HANDOFF");
        assertThat(reply.getBoolean("askForContact")).isTrue();
        assertThat(reply.getString("text")).contains("no one from our team is online").contains("email");
        JsonObject waiting = status(c);
        assertThat(waiting.getBoolean("askForContact")).isTrue();
        // still in the queue, but with nobody online no wait is promised
        assertThat(waiting.getLong("position")).isNotNull();
        assertThat(waiting.containsKey("expectedWaitMinutes")).isFalse();

        HttpResponse<String> bad = send("POST", "/api/v1/conversations/" + c.id() + "/contact", c.token(), null,
                new JsonObject().put("email", "not an address"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(send("POST", "/api/v1/conversations/" + c.id() + "/contact", "wrong", null,
                new JsonObject().put("email", "ann@example.com")).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/api/v1/conversations/" + c.id() + "/contact", c.token(), null,
                new JsonObject().put("email", "ann@example.com")).statusCode()).isEqualTo(200);
        assertThat(status(c).getBoolean("followUpRequested")).isTrue();
        assertThat(transcript(c).get(transcript(c).size() - 1).getString("text")).contains("ann@example.com");
    }

    @Test
    @Order(2)
    void theQueueFollowsThePriorityAndEachCustomerKnowsTheirPlace() throws Exception {
        online("agent-1", true);
        Conversation low = open(lowRiskCustomer());
        Conversation high = open(highRiskCustomer());
        assertThat(say(low, "Can I talk to a real person?").getString("decision")).isEqualTo("HANDOFF");
        JsonObject reply = say(high, "I need a human");
        assertThat(reply.getString("decision")).isEqualTo("HANDOFF");
        assertThat(reply.getString("text")).contains("in the queue").contains("minutes");

        List<String> order = queueOrder();
        assertThat(order.indexOf(high.id())).isLessThan(order.indexOf(low.id()));
        JsonObject highStatus = status(high);
        JsonObject lowStatus = status(low);
        assertThat(highStatus.getString("owner")).isEqualTo("queue");
        assertThat(highStatus.getLong("position")).isLessThan(lowStatus.getLong("position"));
        assertThat(lowStatus.getLong("expectedWaitMinutes")).isGreaterThanOrEqualTo(highStatus.getLong("expectedWaitMinutes"));

        JsonObject entry = new JsonObject(agent("GET", "/queue", "agent-1", null).body()).getJsonArray("handoffs").stream()
                .map(JsonObject.class::cast).filter(h -> h.getString("conversationId").equals(high.id())).findFirst().orElseThrow();
        assertThat(entry.getString("riskBand")).isEqualTo("HIGH");
        assertThat(entry.getJsonArray("reasons")).contains("INTENT_HUMAN");
        assertThat(entry.getLong("waitedMinutes")).isNotNull();
        assertThat(send("GET", "/api/v1/agent/queue", "wrong", "agent-1", null).statusCode()).isEqualTo(401);
    }

    /** CASES BUG-03 (K-HANDOFF-STATE). */
    @Test
    @Order(3)
    void afterAPersonTakesOverTheBotWritesNothingUntilHandedBack() throws Exception {
        online("agent-1", true);
        online("agent-2", true);
        Conversation c = open(highRiskCustomer());
        JsonObject handoff = say(c, "third outage this month, I'm cancelling");
        assertThat(handoff.getString("decision")).isEqualTo("HANDOFF");
        assertThat(handoff.getJsonArray("reasons")).contains("INTENT_CHURN", "CHURN_RISK_HIGH");

        // waiting: the customer's message is kept, and no second notice or bot answer follows
        JsonObject waiting = say(c, "is anyone there?");
        assertThat(waiting.getString("text")).isEmpty();
        assertThat(waiting.getJsonObject("status").getString("owner")).isEqualTo("queue");
        List<JsonObject> whileWaiting = transcript(c);
        assertThat(roles(whileWaiting)).containsExactly("customer", "system", "customer");

        assertThat(onConversation("claim", c, "agent-1", null).statusCode()).isEqualTo(200);
        HttpResponse<String> second = onConversation("claim", c, "agent-2", null);
        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(status(c).getString("owner")).isEqualTo("agent");
        assertThat(status(c).getString("agentName")).isEqualTo("Agent agent-1");

        JsonObject first = say(c, "hello? anyone?");
        JsonObject refund = say(c, "what's your refund policy?");
        assertThat(first.getString("text")).isEmpty();
        assertThat(refund.getString("text")).isEmpty();
        assertThat(refund.getJsonArray("reasons")).containsExactly("WITH_PERSON");

        JsonObject view = new JsonObject(agent("GET", "/conversations/" + c.id(), "agent-1", null).body());
        List<String> customerTexts = view.getJsonArray("messages").stream().map(JsonObject.class::cast)
                .filter(m -> m.getString("role").equals("customer")).map(m -> m.getString("text")).toList();
        assertThat(customerTexts).containsSubsequence("hello? anyone?", "what's your refund policy?");
        assertThat(roles(transcript(c))).containsExactly("customer", "system", "customer", "system", "customer", "customer");

        assertThat(onConversation("messages", c, "agent-2", new JsonObject().put("text", "hi").put("clientMessageId", "x"))
                .statusCode()).isEqualTo(409);
        assertThat(onConversation("messages", c, "agent-1",
                new JsonObject().put("text", "Hi, I'm sorry about the outages. Let me look.").put("clientMessageId", "a1"))
                .statusCode()).isEqualTo(200);
        assertThat(onConversation("lease", c, "agent-1", null).statusCode()).isEqualTo(200);
        assertThat(onConversation("lease", c, "agent-2", null).statusCode()).isEqualTo(409);
        JsonObject agentMessage = transcript(c).get(transcript(c).size() - 1);
        assertThat(agentMessage.getString("role")).isEqualTo("agent");
        assertThat(agentMessage.getString("agentName")).isEqualTo("Agent agent-1");

        assertThat(onConversation("handback", c, "agent-2", null).statusCode()).isEqualTo(409);
        assertThat(onConversation("handback", c, "agent-1", null).statusCode()).isEqualTo(200);
        assertThat(transcript(c).get(transcript(c).size() - 1).getString("kind")).isEqualTo("back-to-bot");
        JsonObject answer = say(c, "How do I pause my plan?");
        assertThat(answer.getString("text")).isNotEmpty();
        assertThat(transcript(c).get(transcript(c).size() - 1).getString("role")).isEqualTo("bot");
    }

    /** CASES BUG-01 (K-OUTPUT-ESCAPING). */
    @Test
    @Order(4)
    void visitorHtmlIsStoredWithoutActiveMarkupAndTheAgentBriefingToo() throws Exception {
        online("agent-1", true);
        Conversation c = open(highRiskCustomer());
        say(c, "Order help please <img src=\"q\" onerror=\"window.__pwn=1\"> **thanks**");
        assertThat(say(c, "cancel my account now").getString("decision")).isEqualTo("HANDOFF");

        String stored = transcript(c).get(0).getString("text");
        assertThat(stored).doesNotContain("<img").doesNotContain("onerror").contains("**thanks**");
        String queue = agent("GET", "/queue", "agent-1", null).body();
        assertThat(queue).doesNotContain("onerror");
        String view = agent("GET", "/conversations/" + c.id(), "agent-1", null).body();
        assertThat(view).doesNotContain("onerror").doesNotContain("<img");
        assertThat(new JsonObject(view).getString("summary")).contains("**thanks**");
    }

    @Test
    @Order(5)
    void theAgentSeesASummaryARiskCardAndAPlaybookAndResolvesWithADisposition() throws Exception {
        online("agent-1", true);
        String customerId = highRiskCustomer();
        Conversation c = open(customerId);
        say(c, "How do I pause my plan?");
        say(c, "I want to cancel my contract.");
        assertThat(onConversation("claim", c, "agent-1", null).statusCode()).isEqualTo(200);

        JsonObject view = new JsonObject(agent("GET", "/conversations/" + c.id(), "agent-1", null).body());
        assertThat(view.getString("summary")).contains("How do I pause my plan?").contains("INTENT_CHURN");
        assertThat(view.getJsonArray("botTried")).isNotEmpty();
        JsonObject card = view.getJsonObject("riskCard");
        assertThat(card.getString("band")).isEqualTo("HIGH");
        assertThat(card.getJsonArray("factors")).isNotEmpty();
        assertThat(card.getLong("scoreAgeMinutes")).isGreaterThanOrEqualTo(0);
        JsonObject playbook = view.getJsonObject("playbook");
        assertThat(playbook.getString("intent")).isEqualTo("churn");
        assertThat(playbook.getJsonArray("steps")).isNotEmpty();
        double monthly = Double.parseDouble(customers.record(customerId).orElseThrow().get("MonthlyCharges"));
        assertThat(playbook.containsKey("offer")).isEqualTo(monthly >= 70);

        // nothing of this reaches the customer
        String customerSide = send("GET", "/api/v1/conversations/" + c.id() + "/messages", c.token(), null, null).body()
                + status(c).encode();
        assertThat(customerSide).doesNotContain("probability").doesNotContain("playbook").doesNotContain("factors");

        assertThat(onConversation("resolve", c, "agent-1", new JsonObject().put("disposition", "maybe")).statusCode())
                .isEqualTo(400);
        assertThat(onConversation("resolve", c, "agent-1", new JsonObject().put("disposition", "retained")).statusCode())
                .isEqualTo(200);
        assertThat(status(c).getString("owner")).isEqualTo("bot");
        assertThat(transcript(c).get(transcript(c).size() - 1).getString("kind")).isEqualTo("resolved");
    }

    /** CASES BUG-23: off-topic questions alone never hand over, however many. */
    @Test
    @Order(6)
    void offTopicQuestionsAloneNeverHandOver() throws Exception {
        Conversation c = open(highRiskCustomer());
        for (String text : List.of("What's a good lasagna recipe?", "Who will win the next election?", "Write my history essay",
                "Is Comcast's stock going up?", "What's a good lasagna recipe?", "What's a good lasagna recipe?")) {
            JsonObject reply = say(c, text);
            assertThat(reply.getString("decision")).as(text).isNotEqualTo("HANDOFF");
            assertThat(reply.getJsonArray("citations")).as(text).isEmpty();
        }
        assertThat(status(c).getString("owner")).isEqualTo("bot");
    }

    @Test
    @Order(7)
    void aTransferToAnOnlineAgentMovesTheOwnershipAndBackToTheQueueWithoutOne() throws Exception {
        online("agent-1", true);
        online("agent-2", true);
        Conversation c = open(null);
        say(c, "I want to speak to a representative");
        assertThat(onConversation("claim", c, "agent-1", null).statusCode()).isEqualTo(200);
        assertThat(onConversation("transfer", c, "agent-1", new JsonObject().put("toAgentId", "nobody")).statusCode())
                .isEqualTo(409);
        assertThat(onConversation("transfer", c, "agent-1", new JsonObject().put("toAgentId", "agent-2")).statusCode())
                .isEqualTo(200);
        assertThat(status(c).getString("agentName")).isEqualTo("Agent agent-2");
        assertThat(onConversation("transfer", c, "agent-2", new JsonObject()).statusCode()).isEqualTo(200);
        assertThat(status(c).getString("owner")).isEqualTo("queue");
        assertThat(queueOrder()).contains(c.id());
    }
}

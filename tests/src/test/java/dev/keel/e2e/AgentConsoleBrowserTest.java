package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.keel.e2e.browser.Chromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent console in a real browser against the packaged server, with a scripted language model:
 * an agent signs in, goes online, sees hand-offs arrive in the queue in priority order, claims,
 * answers (with a suggested reply, and by keyboard alone), transfers, hands back and resolves,
 * while customers talk through the REST chat API. Markup from a visitor (CASES BUG-01), from the
 * model and from an article never runs in the console, an unverified visitor is marked so
 * (BUG-02), nothing is fetched from other hosts, and a cross-site form cannot act for the
 * signed-in agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentConsoleBrowserTest {
    private static final Path ROOT = Path.of("..");
    private static final String ADMIN_PASSWORD = "agent-console-admin-password";
    private static final String AGENT = "ann";
    private static final String AGENT_PASSWORD = "agent-console-ann-password";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static final String OTHER_AGENT = "bob";
    private static final String OTHER_PASSWORD = "agent-console-bob-password";
    private static final Path TABLE = ROOT.resolve("churn/customers/telco_churn.csv");
    private static final String IDENTITY_SECRET = "agent-console-identity-secret-0123456789";
    /** An article whose title and body carry markup and a script link, as a careless or hostile editor might write. */
    private static final String ARTICLE_ID = "lk-router-lights";
    private static final String ARTICLE_TITLE = "Router lights <img src=x onerror=\"window.__pwn='title'\">";
    private static final String ARTICLE_BODY = "The lights on the front of the Larkspur router show what it is doing."
            + " <img src=x onerror=\"window.__pwn='article'\"> <script>window.__pwn='article'</script>\n\n"
            + "- A **steady white** power light means the router is working.\n"
            + "- A blinking orange power light means the router lights have found a fault: restart the router."
            + " [Read more](javascript:window.__pwn='link')\n";

    private static ScriptedModel model;
    private static KeelProcess keel;
    private static Chromium browser;
    private static JsonNode customer;

    @BeforeAll
    static void start() throws Exception {
        model = ScriptedModel.start();
        Path data = Files.createTempDirectory("keel-agent-console");
        Path secret = Files.writeString(data.resolve("identity-secret"), IDENTITY_SECRET);
        // a copy of the articles, since Keel writes the admins' edits back into the folder
        Path articles = Files.createDirectories(data.resolve("articles"));
        try (var bundled = Files.list(ROOT.resolve("knowledge-base/articles"))) {
            for (Path file : bundled.toList()) {
                Files.copy(file, articles.resolve(file.getFileName().toString()));
            }
        }
        keel = KeelProcess.start(data, Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD,
                        "LLM_PROVIDER", "openai", "LLM_MODEL", "scripted", "LLM_BASE_URL", model.baseUrl(),
                        "LLM_MAX_ATTEMPTS", "1", "LLM_FIRST_TOKEN_TIMEOUT_MS", "5000", "LLM_TOTAL_TIMEOUT_MS", "10000"),
                "--kb", articles.toString(), "--customers", TABLE.toString(),
                "--identity-secret-file", secret.toString(), "--no-secure-cookies");
        Session admin = signIn("admin", ADMIN_PASSWORD);
        for (String[] account : new String[][] {{AGENT, AGENT_PASSWORD}, {OTHER_AGENT, OTHER_PASSWORD}}) {
            HttpResponse<String> created = admin.post("/api/v1/admin/users", KeelProcess.JSON.createObjectNode()
                    .put("name", account[0]).put("password", account[1]).put("role", "agent").toString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
        var article = KeelProcess.JSON.createObjectNode().put("id", ARTICLE_ID).put("title", ARTICLE_TITLE).put("locale", "en")
                .put("status", "published").put("body", ARTICLE_BODY);
        article.putArray("tags").add("router");
        HttpResponse<String> published = admin.post("/api/v1/admin/articles", article.toString());
        assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (keel != null) {
            keel.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    @Order(1)
    void anAgentTakesAHandOffFromTheLiveQueueAnswersWithASuggestionAndResolvesIt() throws Exception {
        browser.open(base() + "/agent/");
        browser.await("the sign-in form", WAIT, () -> browser.visible("signin"));
        browser.byId("signin-name").sendKeys(AGENT);
        browser.byId("signin-password").sendKeys(AGENT_PASSWORD);
        browser.byId("signin").findElement(By.cssSelector("button[type=submit]")).click();
        browser.await("the console after sign-in", WAIT, () -> browser.visible("console"));
        assertThat(browser.byId("whoami").getText()).contains(AGENT);
        browser.byId("presence").click();
        browser.await("the agent is online", WAIT, () -> "true".equals(browser.byId("presence").getAttribute("aria-pressed")));
        browser.await("the presence heartbeat reached Keel", WAIT, () -> agentsOnline().contains(AGENT));
        browser.script("window.__sameDocument = 'yes'");

        // an anonymous visitor who claims a customer id without proof, and writes HTML
        customer = keel.open("7590-VHVEG");
        String conversationId = customer.get("conversationId").asText();
        keel.say(customer, "Order help please <img src=\"q\" onerror=\"window.__pwn=1\"> **thanks**", UUID.randomUUID().toString());
        JsonNode reply = keel.say(customer, "cancel my account now", UUID.randomUUID().toString());
        if (!reply.get("decision").asText().equals("HANDOFF")) {
            // the bot offered a person; the customer takes up the offer
            reply = keel.say(customer, "Yes, connect me with a person please", UUID.randomUUID().toString());
        }
        assertThat(reply.get("decision").asText()).isEqualTo("HANDOFF");

        String ticket = "#queue li[data-conversation-id='" + conversationId + "']";
        browser.await("the hand-off appears in the queue without a reload", WAIT, () -> browser.present(ticket));
        WebElement entry = browser.driver().findElement(By.cssSelector(ticket));
        assertThat(entry.findElement(By.cssSelector(".badge.unverified")).getText()).isEqualTo("unverified");
        WebElement band = entry.findElement(By.cssSelector(".ticket-head .badge[class*='band-']"));
        assertThat(band.getText()).isEqualTo("Risk unknown");
        assertThat(band.getAttribute("class")).contains("band-UNKNOWN");
        assertThat(entry.findElement(By.cssSelector(".reasons")).getText()).containsAnyOf("Asked for a person", "Wants to cancel");
        assertThat(entry.getText()).as("a claimed id is never shown as the customer").doesNotContain("7590-VHVEG");
        String waitedBefore = entry.findElement(By.cssSelector(".wait")).getText();
        assertThat(waitedBefore).startsWith("waiting ");
        browser.await("the wait time ticks", WAIT,
                () -> !browser.driver().findElement(By.cssSelector(ticket + " .wait")).getText().equals(waitedBefore));
        browser.screenshot("agent-console-queue");

        browser.driver().findElement(By.cssSelector(ticket + " button.claim")).click();
        browser.await("the conversation opens", WAIT, () -> browser.visible("chat"));
        browser.await("the transcript so far", WAIT, () -> browser.present("#transcript li.msg.customer strong"));
        WebElement first = browser.driver().findElement(By.cssSelector("#transcript li.msg.customer"));
        assertThat(first.getText()).contains("Order help please");
        assertThat(first.findElement(By.cssSelector("strong")).getText()).isEqualTo("thanks");
        assertThat(browser.driver().findElements(By.cssSelector("#transcript img, #briefing img, #queue img"))).isEmpty();
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(browser.byId("chat-identity").getText()).isEqualTo("unverified");
        assertThat(browser.byId("summary").getText()).doesNotContain("<img").doesNotContain("onerror");
        assertThat(browser.byId("risk").getText()).contains("Risk unknown").contains("unverified");
        assertThat(browser.byId("playbook").findElements(By.tagName("li"))).isNotEmpty();

        browser.await("suggested replies", WAIT, () -> browser.present("#suggestions button.use-suggestion"));
        assertThat(browser.byId("suggestions").getText()).as("quoted from the articles").contains("From: How to cancel your service");
        WebElement suggestion = browser.driver().findElement(By.cssSelector("#suggestions li.suggestion"));
        String suggested = suggestion.findElement(By.cssSelector(".text")).getText();
        assertThat(suggested).as("the model's draft first, without its markup").contains("walk you through it")
                .doesNotContain("<svg").doesNotContain("onload");
        assertThat(suggestion.findElement(By.cssSelector(".source")).getText()).startsWith("From: ").hasSizeGreaterThan(6);
        suggestion.findElement(By.cssSelector("button.use-suggestion")).click();
        assertThat(browser.byId("reply").getAttribute("value")).as("a suggestion goes into the composer").isNotBlank();
        assertThat(browser.present("#transcript li.msg.agent")).as("a suggestion is never sent by itself").isFalse();
        browser.byId("reply").sendKeys(Keys.ENTER);
        browser.await("the agent's message in the console", WAIT, () -> browser.present("#transcript li.msg.agent"));
        browser.await("the composer is cleared", WAIT, () -> browser.byId("reply").getAttribute("value").isEmpty());

        List<String> agentTexts = new ArrayList<>();
        keel.transcript(customer).forEach(m -> {
            if (m.get("role").asText().equals("agent")) {
                agentTexts.add(m.get("text").asText());
            }
        });
        assertThat(agentTexts).as("the customer gets the agent's reply").hasSize(1);
        assertThat(agentTexts.get(0)).contains("walk you through it");

        keel.say(customer, "Thanks, and what does my final bill include?", UUID.randomUUID().toString());
        browser.await("the customer's new message arrives live", WAIT, () -> browser.driver()
                .findElements(By.cssSelector("#transcript li.msg.customer")).stream()
                .anyMatch(m -> m.getText().contains("what does my final bill include")));
        assertThat(browser.script("return window.__sameDocument")).as("no reload").isEqualTo("yes");
        assertThat(browser.byId("next-step").getText()).contains("waiting for your reply");
        browser.await("the model's hand-off summary", WAIT, () -> browser.byId("summary-source").getText().contains("language model"));
        assertThat(browser.byId("summary").getText()).contains("asked for help").doesNotContain("<img").doesNotContain("onerror");
        browser.script("window.scrollTo(0, 0); document.getElementById('briefing').scrollTop = 0");
        browser.screenshot("agent-console-chat");

        new Select(browser.byId("disposition")).selectByValue("retained");
        browser.byId("resolve").click();
        browser.await("the conversation closes", WAIT, () -> !browser.visible("chat"));
        JsonNode status = KeelProcess.JSON.readTree(keel.get("/api/v1/conversations/" + conversationId + "/status",
                customer.get("token").asText()).body());
        assertThat(status.get("owner").asText()).isEqualTo("bot");
        JsonNode last = lastOf(keel.transcript(customer));
        assertThat(last.get("role").asText()).isEqualTo("system");
        assertThat(last.get("kind").asText()).isEqualTo("resolved");
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(browser.requestedUrls().stream().filter(u -> u.startsWith("http") || u.startsWith("ws")))
                .as("nothing from other hosts").isNotEmpty().allMatch(u -> u.startsWith(base() + "/"));
    }

    @Test
    @Order(2)
    void theQueuePutsTheCustomerMostAtRiskFirstAndTheAgentWorksItFromTheKeyboard() throws Exception {
        JsonNode low = keel.openVerified(Customers.lowRisk(TABLE), IDENTITY_SECRET);
        assertThat(keel.say(low, "I want to talk to a person", UUID.randomUUID().toString()).get("decision").asText()).isEqualTo("HANDOFF");
        String highId = Customers.highRisk(TABLE);
        JsonNode high = keel.openVerified(highId, IDENTITY_SECRET);
        assertThat(keel.say(high, "I want to talk to a person", UUID.randomUUID().toString()).get("decision").asText()).isEqualTo("HANDOFF");
        String lowConversation = low.get("conversationId").asText();
        String highConversation = high.get("conversationId").asText();

        browser.await("both in the queue", WAIT, () -> browser.driver().findElements(By.cssSelector("#queue li.ticket")).size() == 2);
        List<WebElement> tickets = browser.driver().findElements(By.cssSelector("#queue li.ticket"));
        assertThat(tickets.get(0).getAttribute("data-conversation-id")).as("the customer most at risk first, though they came second")
                .isEqualTo(highConversation);
        assertThat(tickets.get(1).getAttribute("data-conversation-id")).isEqualTo(lowConversation);
        assertThat(tickets.get(0).findElement(By.cssSelector(".ticket-head .badge[class*='band-']")).getText()).isEqualTo("High risk");
        assertThat(tickets.get(1).findElement(By.cssSelector(".ticket-head .badge[class*='band-']")).getText()).isEqualTo("Low risk");
        assertThat(tickets.get(0).getText()).contains("#1").contains("Customer " + highId).contains("Asked for a person").contains("waiting ");
        assertThat(tickets.get(0).findElements(By.cssSelector(".badge.unverified"))).as("a proven customer").isEmpty();
        assertThat(browser.byId("next-step").getText()).contains("Claim #1").contains("high risk");

        // the keyboard alone: Tab to the first Claim, Enter; the reply box has the focus then
        browser.script("document.activeElement.blur(); window.scrollTo(0, 0)");
        tabTo("the first Claim button", "#queue li.ticket.first button.claim");
        pressKey(Keys.ENTER);
        browser.await("the conversation opens", WAIT, () -> showing(highConversation));
        assertThat(browser.script("return document.activeElement.id")).isEqualTo("reply");

        browser.await("the risk card", WAIT, () -> browser.byId("risk").getText().contains("High risk"));
        String risk = browser.byId("risk").getText();
        assertThat(risk).containsPattern("\\d+ %").containsPattern("Scored (just now|\\d+ min ago)");
        assertThat(browser.byId("risk").findElements(By.cssSelector("ul li"))).as("top factors in words").isNotEmpty();
        assertThat(browser.byId("playbook").getText()).contains("contract review");
        assertThat(browser.byId("chat-identity").getText()).isEqualTo("Customer " + highId);
        browser.script("window.scrollTo(0, 0); document.getElementById('briefing').scrollTop = 0");
        browser.screenshot("agent-console-risk-card");

        pressKeys("Hello, I am Ann. Let me look at your account.");
        pressKey(Keys.ENTER);
        browser.await("the reply in the console", WAIT, () -> browser.present("#transcript li.msg.agent"));
        browser.await("the customer has the reply", WAIT, () -> textsOf(high, "agent").contains("Hello, I am Ann. Let me look at your account."));

        // another agent comes online: the console offers them for a transfer without a reload
        Session bob = signIn(OTHER_AGENT, OTHER_PASSWORD);
        assertThat(bob.post("/api/v1/agent/presence", "{\"name\":\"Bob\",\"capacity\":2,\"online\":true}").statusCode()).isEqualTo(200);
        browser.await("the other agent as a transfer target", WAIT.multipliedBy(2),
                () -> new Select(browser.byId("transfer-to")).getOptions().size() == 2);
        Select transferTo = new Select(browser.byId("transfer-to"));
        assertThat(transferTo.getOptions().get(1).getText()).isEqualTo("Bob (online)");
        transferTo.selectByIndex(1);
        tabTo("the Transfer button", "#transfer");
        pressKey(Keys.ENTER);
        browser.await("the conversation leaves the console", WAIT, () -> !browser.visible("chat"));
        JsonNode moved = status(high);
        assertThat(moved.get("owner").asText()).isEqualTo("agent");
        assertThat(bob.get("/api/v1/agent/conversations/" + highConversation).body()).contains("\"yours\":true");

        // the low-risk customer is first now; claim, then hand back to the bot, by keyboard
        browser.await("the low-risk customer is first", WAIT,
                () -> browser.present("#queue li.ticket.first[data-conversation-id='" + lowConversation + "']"));
        browser.script("document.activeElement.blur(); window.scrollTo(0, 0)");
        tabTo("the first Claim button", "#queue li.ticket.first button.claim");
        pressKey(Keys.SPACE);
        browser.await("the conversation opens", WAIT, () -> showing(lowConversation));
        assertThat(browser.byId("risk").getText()).contains("Low risk");
        tabTo("the hand-back button", "#handback");
        pressKey(Keys.ENTER);
        browser.await("the conversation leaves the console", WAIT, () -> !browser.visible("chat"));
        assertThat(status(low).get("owner").asText()).isEqualTo("bot");
        JsonNode answer = keel.say(low, "How do I reset my password?", UUID.randomUUID().toString());
        assertThat(answer.get("decision").asText()).as("the bot answers again").isNotEqualTo("HANDOFF");
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
    }

    @Test
    @Order(3)
    void markupFromAnArticleAndFromTheModelRunsNowhereInTheConsole() throws Exception {
        JsonNode visitor = keel.open(null);
        JsonNode answered = keel.say(visitor, "What do the router lights mean?", UUID.randomUUID().toString());
        assertThat(answered.toString()).as("the bot answered from the article").contains(ARTICLE_ID);
        keel.say(visitor, "I want to talk to a person", UUID.randomUUID().toString());
        String conversationId = visitor.get("conversationId").asText();
        String ticket = "#queue li[data-conversation-id='" + conversationId + "']";
        browser.await("the hand-off in the queue", WAIT, () -> browser.present(ticket));
        browser.driver().findElement(By.cssSelector(ticket + " button.claim")).click();
        browser.await("the conversation opens", WAIT, () -> browser.visible("chat") && browser.present("#transcript li.msg.bot"));

        WebElement bot = browser.driver().findElement(By.cssSelector("#transcript li.msg.bot"));
        WebElement said = bot.findElement(By.cssSelector(".body"));
        assertThat(said.getText()).contains("Here is what the article says").doesNotContain("onerror").doesNotContain("<");
        assertThat(said.findElement(By.cssSelector("strong")).getText()).isEqualTo("in short");
        browser.await("the articles the bot tried", WAIT, () -> browser.byId("bot-tried").getText().contains("Router lights"));
        browser.await("suggestions quoted from the article", WAIT, () -> browser.byId("suggestions").getText().contains("front of the Larkspur router"));
        browser.await("the model's summary", WAIT, () -> browser.byId("summary-source").getText().contains("language model"));

        // whatever the markup was shown as (text, or removed on the way), none of it became an element
        assertThat(browser.driver().findElements(By.cssSelector("#console img, #console script, #console svg, #console iframe")))
                .isEmpty();
        assertThat(browser.driver().findElements(By.cssSelector("#console a[href]"))).allMatch(a -> {
            String href = a.getAttribute("href");
            return href.startsWith("https://") || href.startsWith(base() + "/");
        });
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(model.calls()).as("the model wrote the answer, the summary and the draft").isGreaterThanOrEqualTo(3);

        new Select(browser.byId("disposition")).selectByValue("resolved");
        browser.byId("resolve").click();
        browser.await("the conversation closes", WAIT, () -> !browser.visible("chat"));
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(browser.requestedUrls().stream().filter(u -> u.startsWith("http") || u.startsWith("ws")))
                .as("nothing from other hosts").allMatch(u -> u.startsWith(base() + "/"));
    }

    @Test
    @Order(4)
    void theConsoleIsServedUnderTheStrictPolicyWithNoInlineScript() throws Exception {
        HttpResponse<String> page = keel.get("/agent/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).contains("script-src 'self'").contains("frame-ancestors 'none'").contains("connect-src 'self'")
                .doesNotContain("unsafe-eval").doesNotContain("script-src 'self' 'unsafe-inline'");
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(page.body()).doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContainPattern("\\son[a-z]+=")
                .doesNotContain("http://").doesNotContain("https://");
        assertThat(keel.get("/agent", null).statusCode()).as("the bare path leads to the console").isIn(200, 301, 302);
    }

    @Test
    @Order(5)
    void aCrossSiteFormCannotActForTheSignedInAgent() throws Exception {
        JsonNode visitor = keel.open(null);
        keel.say(visitor, "I want to talk to a person", UUID.randomUUID().toString());
        String conversationId = visitor.get("conversationId").asText();
        String claim = base() + "/api/v1/agent/conversations/" + conversationId + "/claim";

        // another site (localhost is another site than 127.0.0.1) with a form aimed at a console route
        HttpServer site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String page = "<!doctype html><title>prize</title><form id=f method=post enctype=text/plain action=\"" + claim
                + "\"><input name='{\"a\":\"' value='\"}'><button id=go>Win</button></form>";
        site.createContext("/", exchange -> {
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        site.start();
        try {
            browser.open(base() + "/agent/");
            browser.await("still signed in", WAIT, () -> browser.visible("console"));
            browser.await("back online after the reload", WAIT, () -> "true".equals(browser.byId("presence").getAttribute("aria-pressed")));
            browser.await("the heartbeat after the reload", WAIT, () -> agentsOnline().contains("\"" + AGENT + "\""));
            browser.open("http://localhost:" + site.getAddress().getPort() + "/");
            browser.await("leaving the console signs the agent off", WAIT, () -> !agentsOnline().contains("\"" + AGENT + "\""));
            browser.driver().findElement(By.id("go")).click();
            browser.await("Keel answers the forged post", WAIT, () -> browser.driver().getPageSource().contains("\"error\""));
            assertThat(browser.driver().findElement(By.tagName("body")).getText()).containsAnyOf("not_signed_in", "csrf_token_invalid");
        } finally {
            site.stop(0);
        }
        Session agent = signIn(AGENT, AGENT_PASSWORD);
        HttpResponse<String> withoutToken = agent.postWithoutCsrf("/api/v1/agent/conversations/" + conversationId + "/claim", "{}");
        assertThat(withoutToken.statusCode()).as("the session cookie alone is not enough").isEqualTo(403);
        assertThat(withoutToken.body()).contains("csrf_token_invalid");
        assertThat(agent.get("/api/v1/agent/queue").body()).as("still waiting: nobody claimed it").contains(conversationId);
    }

    // --- helpers

    private static String base() {
        return "http://127.0.0.1:" + keel.port();
    }

    /** Whether the chat panel shows this conversation. */
    private static boolean showing(String conversationId) {
        return browser.visible("chat") && browser.byId("chat-title").getDomProperty("textContent").contains(conversationId.substring(0, 8));
    }

    /** Presses Tab until the focused element matches the selector; fails if it is never reached. */
    private static void tabTo(String what, String css) {
        for (int i = 0; i < 60; i++) {
            pressKey(Keys.TAB);
            if (Boolean.TRUE.equals(browser.script("return document.activeElement.matches(arguments[0])", css))) {
                return;
            }
        }
        throw new AssertionError(what + " cannot be reached with the Tab key");
    }

    private static void pressKey(Keys key) {
        new Actions(browser.driver()).sendKeys(key).perform();
    }

    private static void pressKeys(String text) {
        new Actions(browser.driver()).sendKeys(text).perform();
    }

    private static JsonNode status(JsonNode conversation) throws Exception {
        return KeelProcess.JSON.readTree(keel.get("/api/v1/conversations/" + conversation.get("conversationId").asText() + "/status",
                conversation.get("token").asText()).body());
    }

    private static List<String> textsOf(JsonNode conversation, String role) {
        List<String> texts = new ArrayList<>();
        try {
            keel.transcript(conversation).forEach(m -> {
                if (m.get("role").asText().equals(role)) {
                    texts.add(m.get("text").asText());
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return texts;
    }

    private static JsonNode lastOf(JsonNode messages) {
        return messages.get(messages.size() - 1);
    }

    private static String agentsOnline() {
        try {
            return signIn("admin", ADMIN_PASSWORD).get("/api/v1/agent/presence").body();
        } catch (Exception e) {
            return "";
        }
    }

    /** A console session over plain HTTP: the cookie and the CSRF token sign-in returned. */
    private record Session(String cookie, String csrf) {
        HttpResponse<String> get(String path) throws Exception {
            return HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, String body) throws Exception {
            return HTTP.send(request(path).header("X-CSRF-Token", csrf).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> postWithoutCsrf(String path, String body) throws Exception {
            return HTTP.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
                    .header("Cookie", cookie).header("Content-Type", "application/json");
        }
    }

    private static Session signIn(String name, String password) throws Exception {
        HttpResponse<String> response = keel.post("/api/v1/auth/login", null,
                KeelProcess.JSON.createObjectNode().put("name", name).put("password", password).toString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String cookie = response.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        return new Session(cookie, KeelProcess.JSON.readTree(response.body()).get("csrfToken").asText());
    }
}

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
 * The agent console in a real browser against the packaged server: an agent signs in, goes online,
 * sees a hand-off arrive in the queue, claims it, answers with a suggested reply and resolves it,
 * while the customer talks through the REST chat API. Visitor HTML never runs in the console
 * (CASES BUG-01), an unverified visitor is marked so (BUG-02), and a cross-site form cannot act for
 * the signed-in agent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentConsoleBrowserTest {
    private static final Path ROOT = Path.of("..");
    private static final String ADMIN_PASSWORD = "agent-console-admin-password";
    private static final String AGENT = "ann";
    private static final String AGENT_PASSWORD = "agent-console-ann-password";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static KeelProcess keel;
    private static Chromium browser;
    private static JsonNode customer;

    @BeforeAll
    static void start() throws Exception {
        Path data = Files.createTempDirectory("keel-agent-console");
        keel = KeelProcess.start(data, Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD),
                "--kb", ROOT.resolve("knowledge-base/articles").toString(),
                "--customers", ROOT.resolve("churn/customers/telco_churn.csv").toString(),
                "--no-secure-cookies");
        Session admin = signIn("admin", ADMIN_PASSWORD);
        HttpResponse<String> created = admin.post("/api/v1/admin/users",
                "{\"name\":\"" + AGENT + "\",\"password\":\"" + AGENT_PASSWORD + "\",\"role\":\"agent\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
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
    }

    @Test
    @Order(1)
    void anAgentTakesAHandOffFromTheLiveQueueAnswersWithASuggestionAndResolvesIt() throws Exception {
        browser.open(base() + "/agent/");
        browser.await("the sign-in form", WAIT, () -> visible("signin"));
        byId("signin-name").sendKeys(AGENT);
        byId("signin-password").sendKeys(AGENT_PASSWORD);
        byId("signin").findElement(By.cssSelector("button[type=submit]")).click();
        browser.await("the console after sign-in", WAIT, () -> visible("console"));
        assertThat(byId("whoami").getText()).contains(AGENT);
        byId("presence").click();
        browser.await("the agent is online", WAIT, () -> "true".equals(byId("presence").getAttribute("aria-pressed")));
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
        browser.await("the hand-off appears in the queue without a reload", WAIT, () -> present(ticket));
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
        browser.await("the conversation opens", WAIT, () -> visible("chat"));
        browser.await("the transcript so far", WAIT, () -> present("#transcript li.msg.customer strong"));
        WebElement first = browser.driver().findElement(By.cssSelector("#transcript li.msg.customer"));
        assertThat(first.getText()).contains("Order help please");
        assertThat(first.findElement(By.cssSelector("strong")).getText()).isEqualTo("thanks");
        assertThat(browser.driver().findElements(By.cssSelector("#transcript img, #briefing img, #queue img"))).isEmpty();
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(byId("chat-identity").getText()).isEqualTo("unverified");
        assertThat(byId("summary").getText()).contains("Order help please").doesNotContain("<img").doesNotContain("onerror");
        assertThat(byId("risk").getText()).contains("Risk unknown").contains("unverified");
        assertThat(byId("playbook").findElements(By.tagName("li"))).isNotEmpty();

        browser.await("suggested replies", WAIT, () -> present("#suggestions button.use-suggestion"));
        WebElement suggestion = browser.driver().findElement(By.cssSelector("#suggestions li.suggestion"));
        String suggested = suggestion.findElement(By.cssSelector(".text")).getText();
        assertThat(suggestion.findElement(By.cssSelector(".source")).getText()).contains("How to cancel your service");
        suggestion.findElement(By.cssSelector("button.use-suggestion")).click();
        assertThat(byId("reply").getAttribute("value")).as("a suggestion goes into the composer").isNotBlank();
        assertThat(present("#transcript li.msg.agent")).as("a suggestion is never sent by itself").isFalse();
        byId("reply").sendKeys(Keys.ENTER);
        browser.await("the agent's message in the console", WAIT, () -> present("#transcript li.msg.agent"));
        browser.await("the composer is cleared", WAIT, () -> byId("reply").getAttribute("value").isEmpty());

        List<String> agentTexts = new ArrayList<>();
        keel.transcript(customer).forEach(m -> {
            if (m.get("role").asText().equals("agent")) {
                agentTexts.add(m.get("text").asText());
            }
        });
        assertThat(agentTexts).hasSize(1);
        assertThat(agentTexts.get(0)).contains("How to cancel your service");
        assertThat(suggested).contains("How to cancel your service");

        keel.say(customer, "Thanks, and what does my final bill include?", UUID.randomUUID().toString());
        browser.await("the customer's new message arrives live", WAIT, () -> browser.driver()
                .findElements(By.cssSelector("#transcript li.msg.customer")).stream()
                .anyMatch(m -> m.getText().contains("what does my final bill include")));
        assertThat(browser.script("return window.__sameDocument")).as("no reload").isEqualTo("yes");
        assertThat(byId("next-step").getText()).contains("waiting for your reply");
        browser.script("window.scrollTo(0, 0); document.getElementById('briefing').scrollTop = 0");
        browser.screenshot("agent-console-chat");

        new Select(byId("disposition")).selectByValue("retained");
        byId("resolve").click();
        browser.await("the conversation closes", WAIT, () -> !visible("chat"));
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
    @Order(3)
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
            browser.await("still signed in", WAIT, () -> visible("console"));
            browser.open("http://localhost:" + site.getAddress().getPort() + "/");
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

    private static WebElement byId(String id) {
        return browser.driver().findElement(By.id(id));
    }

    private static boolean visible(String id) {
        List<WebElement> found = browser.driver().findElements(By.id(id));
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    private static boolean present(String css) {
        return !browser.driver().findElements(By.cssSelector(css)).isEmpty();
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

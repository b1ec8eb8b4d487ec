package dev.keel.e2e;

import dev.keel.e2e.browser.Chromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both sides of one support chat at once, each in its own browser: a customer asks in the widget on
 * the demo page and gets a cited answer, then asks for a person; an agent signed in to the console
 * sees the ticket arrive, claims it, reads what the customer wrote and replies; the customer sees the
 * reply without a reload, reloads and finds the whole conversation once, in order; the agent resolves.
 */
class CustomerAndAgentBrowserTest {
    private static final Path ROOT = Path.of("..");
    private static final String ADMIN_PASSWORD = "joint-flow-admin-password";
    private static final String AGENT = "ann";
    private static final String AGENT_PASSWORD = "joint-flow-ann-password";
    /** The host the demo page lets the widget link to; the pause article gets an address there to cite. */
    private static final String LINK_HOST = "help.larkspur.example";
    private static final String QUESTION = "How do I pause my plan?";
    private static final String ASK_FOR_PERSON = "I want to talk to a person";
    private static final String AGENT_REPLY = "Hi, I am Ann. I can pause the plan for you today.";
    private static final String SHADOW = "document.querySelector('keel-chat').shadowRoot";
    /** Generous: two browsers, Keel and the model share a small machine with other work. */
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static ScriptedModel model;
    private static KeelProcess keel;
    private static Chromium customer;
    private static Chromium agent;

    @BeforeAll
    static void start() throws Exception {
        model = ScriptedModel.start();
        Path data = Files.createTempDirectory("keel-joint-flow");
        keel = KeelProcess.start(data, Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD,
                        "LLM_PROVIDER", "openai", "LLM_MODEL", "scripted", "LLM_BASE_URL", model.baseUrl(),
                        "LLM_ALLOWED_LINK_HOSTS", LINK_HOST),
                "--kb", articles(data).toString(), "--customers", ROOT.resolve("churn/customers/telco_churn.csv").toString(),
                "--no-secure-cookies");
        createAgentAccount();
        // two browsers with profiles of their own: the agent's session cookie and the customer's stored chat never mix
        customer = Chromium.start();
        agent = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closing : new AutoCloseable[] {customer, agent, keel, model}) {
            if (closing != null) {
                closing.close();
            }
        }
    }

    /** A copy of the bundled articles, the pause article with a public address so that its citation is a link. */
    private static Path articles(Path data) throws Exception {
        Path folder = Files.createDirectories(data.resolve("articles"));
        try (Stream<Path> bundled = Files.list(ROOT.resolve("knowledge-base/articles"))) {
            for (Path article : bundled.toList()) {
                String text = Files.readString(article);
                if (article.getFileName().toString().equals("lk-pause-plan.md")) {
                    text = text.replaceFirst("locale: en\n", "locale: en\nurl: https://" + LINK_HOST + "/articles/pause\n");
                }
                Files.writeString(folder.resolve(article.getFileName()), text);
            }
        }
        return folder;
    }

    private static void createAgentAccount() throws Exception {
        HttpResponse<String> login = keel.post("/api/v1/auth/login", null,
                KeelProcess.JSON.createObjectNode().put("name", "admin").put("password", ADMIN_PASSWORD).toString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        String csrf = KeelProcess.JSON.readTree(login.body()).get("csrfToken").asText();
        HttpRequest create = HttpRequest.newBuilder(URI.create(base() + "/api/v1/admin/users")).timeout(Duration.ofSeconds(30))
                .header("Cookie", cookie).header("X-CSRF-Token", csrf).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(KeelProcess.JSON.createObjectNode()
                        .put("name", AGENT).put("password", AGENT_PASSWORD).put("role", "agent").toString()))
                .build();
        HttpResponse<String> created = HttpClient.newHttpClient().send(create, HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @Test
    void aCustomerAsksGetsACitedAnswerAndAnAgentTakesOverInTheConsoleWhileTheCustomerWatches() {
        agentSignsInAndGoesOnline();

        customer.open(base() + "/");
        customer.await("the widget is on the demo page", WAIT,
                () -> Boolean.TRUE.equals(customer.script("return !!document.querySelector('keel-chat')")));
        part(".l").click();
        say(QUESTION);
        customer.await("the cited answer is finished", WAIT, () -> Boolean.TRUE.equals(customer.script(
                "const b = " + SHADOW + ".querySelector('.m.bot'); return !!b && !b.hasAttribute('aria-busy') && !!b.querySelector('.cites')")));
        assertThat(customer.script("return " + SHADOW + ".querySelector('.m.bot .cites a').href"))
                .as("the citation links to the article").isEqualTo("https://" + LINK_HOST + "/articles/pause");
        assertThat(customer.script("return " + SHADOW + ".querySelector('.m.bot .cites a').textContent")).isEqualTo("Pause your plan");

        say(ASK_FOR_PERSON);
        customer.await("the place in the queue", WAIT, () -> part(".st").getText().contains("number 1 in the queue"));
        assertThat(bubbles()).as("the hand-off notice").anyMatch(b -> b.startsWith("system|") && b.contains("queue"));
        String conversationId = (String) customer.script(
                "return JSON.parse(localStorage.getItem('keel:' + location.origin)).conversationId");

        String ticket = "#queue li[data-conversation-id='" + conversationId + "']";
        agent.await("the ticket appears in the live queue", WAIT, () -> agent.present(ticket));
        agent.driver().findElement(By.cssSelector(ticket + " button.claim")).click();
        agent.await("the conversation opens", WAIT, () -> agent.visible("chat"));
        agent.await("the customer's messages in the transcript", WAIT, () -> {
            List<String> said = agent.driver().findElements(By.cssSelector("#transcript li.msg.customer")).stream()
                    .map(WebElement::getText).toList();
            return said.size() == 2 && said.get(0).contains(QUESTION) && said.get(1).contains(ASK_FOR_PERSON);
        });
        customer.await("the widget says who the customer is talking to", WAIT,
                () -> part(".st").getText().contains("chatting with"));

        agent.byId("reply").clear();
        agent.byId("reply").sendKeys(AGENT_REPLY);
        agent.byId("reply").sendKeys(Keys.ENTER);
        agent.await("the reply in the console", WAIT, () -> agent.driver().findElements(By.cssSelector("#transcript li.msg.agent"))
                .stream().anyMatch(m -> m.getText().contains(AGENT_REPLY)));

        customer.script("window.__sameDocument = 'yes'");
        customer.await("the agent's reply in the widget", WAIT,
                () -> bubbles().stream().anyMatch(b -> b.startsWith("agent|") && b.contains(AGENT_REPLY)));
        assertThat(customer.script("return window.__sameDocument")).as("no reload").isEqualTo("yes");
        customer.screenshot("flow-customer-sees-agent");
        agent.screenshot("flow-agent-console");

        List<String> beforeReload = bubbles();
        customer.driver().navigate().refresh();
        customer.await("the conversation is back after the reload", WAIT,
                () -> bubbles().size() >= beforeReload.size() && part(".st").getText().contains("chatting with"));
        List<String> afterReload = bubbles();
        assertThat(afterReload).containsExactlyElementsOf(beforeReload).doesNotHaveDuplicates();
        assertThat(List.of(indexOf(afterReload, "customer|", QUESTION), indexOf(afterReload, "bot|", "Sources"),
                indexOf(afterReload, "customer|", ASK_FOR_PERSON), indexOf(afterReload, "system|", "queue"),
                indexOf(afterReload, "agent|", AGENT_REPLY)))
                .as("question, cited answer, request, hand-off notice, agent reply").doesNotContain(-1).isSorted();
        assertThat(afterReload.stream().filter(b -> b.contains(AGENT_REPLY))).hasSize(1);
        assertThat(customer.script("return " + SHADOW + ".querySelector('.m.bot .cites a').href"))
                .as("the citation is still a link").isEqualTo("https://" + LINK_HOST + "/articles/pause");

        new Select(agent.byId("disposition")).selectByValue("resolved");
        agent.byId("resolve").click();
        agent.await("the conversation leaves the console", WAIT, () -> !agent.visible("chat"));
        customer.await("the customer is asked to rate the chat", WAIT, () -> part(".rt").isDisplayed());
        assertThat(customer.script("return typeof window.__pwn")).as("the model's markup ran nowhere").isEqualTo("undefined");
        assertThat(agent.script("return typeof window.__pwn")).isEqualTo("undefined");
    }

    private void agentSignsInAndGoesOnline() {
        agent.open(base() + "/agent/");
        agent.await("the sign-in form", WAIT, () -> agent.visible("signin"));
        agent.byId("signin-name").sendKeys(AGENT);
        agent.byId("signin-password").sendKeys(AGENT_PASSWORD);
        agent.byId("signin").findElement(By.cssSelector("button[type=submit]")).click();
        agent.await("the console after sign-in", WAIT, () -> agent.visible("console"));
        agent.byId("presence").click();
        agent.await("the agent is online", WAIT, () -> "true".equals(agent.byId("presence").getAttribute("aria-pressed")));
    }

    private static String base() {
        return "http://127.0.0.1:" + keel.port();
    }

    // ---- the widget, in the customer's browser ----

    private static WebElement part(String css) {
        return customer.driver().findElement(By.tagName("keel-chat")).getShadowRoot().findElement(By.cssSelector(css));
    }

    private static void say(String text) {
        WebElement input = part("textarea");
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER);
    }

    /** Each message bubble as "role|text", in the order shown. */
    private static List<String> bubbles() {
        return ((List<?>) customer.script("return [..." + SHADOW + ".querySelectorAll('.log .m')]"
                + ".map(m => m.className.replace('m ', '') + '|' + m.textContent)")).stream().map(String::valueOf).toList();
    }

    private static int indexOf(List<String> bubbles, String role, String text) {
        for (int i = 0; i < bubbles.size(); i++) {
            if (bubbles.get(i).startsWith(role) && bubbles.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }
}

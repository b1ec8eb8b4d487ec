package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
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
import org.openqa.selenium.SearchContext;
import org.openqa.selenium.WebElement;
import redis.clients.jedis.Jedis;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chat widget in a real browser against the packaged server: streamed and cited answers, the
 * hand-off and an agent's reply in real time, reload and network drops without gaps or duplicates,
 * untrusted text from customers, the model, agents and articles that never becomes markup
 * (CASES K-OUTPUT-ESCAPING), a hostile host page on another origin with a strict CSP, a phone, the
 * keyboard and screen readers, the 4,000-character limit, ratings, a token that expires while the
 * events stream is open, title, colour and language from the script tag, and the widget's size.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WidgetBrowserTest {
    private static final String AGENT_TOKEN = "widget-browser-test-service-token";
    private static final String LINK_HOST = "help.larkspur.example";
    /** What the stub model says to a question about pausing: Markdown with a link to an allowed host and a citation. */
    private static final String PAUSE_REPLY = "You can **pause your plan** instead of cancelling it, from My Larkspur:\n\n"
            + "- open *Account*\n- choose Pause\n\nThe [pause guide](https://" + LINK_HOST + "/pause) has the details. [lk-pause-plan]";
    /** What a hostile or confused model might write. */
    private static final String HOSTILE_REPLY = "Pausing works <img src=x onerror=\"window.__pwn=true\"> from **My Larkspur**. "
            + "[Click here](javascript:window.__pwn=true) or ![tracker](http://evil.example/pixel.png) or "
            + "[log in](http://evil.example/login) <script>window.__pwn=true</script> [lk-pause-plan]";
    private static final String CUSTOMER_PAYLOAD = "Order help please <img src=\"q\" onerror=\"window.__pwn=1\"> **thanks**";
    private static final String SHADOW = "document.querySelector('keel-chat').shadowRoot";

    private static WireMockServer model;
    /** Keel's Redis, the test's own, to expire a token as time would. */
    private static RedisProcess redis;
    private static HttpServer site;
    private static KeelProcess keel;
    private static Chromium browser;
    /** Keel as the browser reaches it, through a relay whose connections the test can cut. */
    private static String keelOrigin;
    /** Keel as the test reaches it, for the agent's side. */
    private static String apiOrigin;
    private static TcpRelay relay;
    private static String siteOrigin;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The widget's message bubbles just before the page was reloaded. */
    private static List<String> beforeReload;

    @BeforeAll
    static void start() throws Exception {
        model = new WireMockServer(options().dynamicPort());
        model.start();
        stubModel();
        site = hostileSite();
        siteOrigin = "http://127.0.0.1:" + site.getAddress().getPort();
        Path data = Files.createTempDirectory("keel-widget");
        redis = new RedisProcess(data.resolve("redis")).start();
        keel = KeelProcess.start(data, Map.of("KEEL_AGENT_TOKEN", AGENT_TOKEN,
                        "LLM_PROVIDER", "openai", "LLM_BASE_URL", model.baseUrl() + "/v1", "LLM_MODEL", "stub-model",
                        "LLM_API_KEY", "sk-widget-test", "LLM_ALLOWED_LINK_HOSTS", LINK_HOST),
                "--kb", articles(data).toString(), "--customers", "../churn/customers/telco_churn.csv",
                "--allowed-origins", siteOrigin, "--redis-url", redis.url());
        apiOrigin = "http://127.0.0.1:" + keel.port();
        relay = new TcpRelay(keel.port());
        keelOrigin = "http://127.0.0.1:" + relay.port();
        site.createContext("/", exchange -> {
            // the same widget as on Keel's demo page at /, and with the site's own brand at /brand
            byte[] body = (exchange.getRequestURI().getPath().equals("/brand") ? hostilePage("Shop-Hilfe", "#ffd33d")
                    : hostilePage("Larkspur help", "#1f6feb")).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            // the strictest policy a site could have that still lets the widget in
            exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; script-src " + keelOrigin
                    + "; connect-src " + keelOrigin + "; style-src 'self'; img-src 'self'");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (keel != null) {
            keel.close();
        }
        if (site != null) {
            site.stop(0);
        }
        if (model != null) {
            model.stop();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** The bundled articles, one with a public address, plus one an attacker managed to get published. */
    private static Path articles(Path data) throws Exception {
        Path folder = Files.createDirectories(data.resolve("articles"));
        try (Stream<Path> bundled = Files.list(Path.of("../knowledge-base/articles"))) {
            for (Path article : bundled.toList()) {
                String text = Files.readString(article);
                if (article.getFileName().toString().equals("lk-pause-plan.md")) {
                    text = text.replaceFirst("locale: en\n", "locale: en\nurl: https://" + LINK_HOST + "/articles/pause\n");
                }
                Files.writeString(folder.resolve(article.getFileName()), text);
            }
        }
        Files.writeString(folder.resolve("lk-zz-gizmo.md"), """
                ---
                id: lk-zz-gizmo
                title: "Gizmo lamp <img src=x onerror=window.__pwn=1>"
                locale: en
                tags: [gizmo]
                ---

                The gizmo lamp blinks purple when the gizmo needs a restart <img src="http://evil.example/a.png" onerror="window.__pwn=1">.
                Read [the gizmo manual](javascript:window.__pwn=1) or ![gizmo](http://evil.example/gizmo.png) and
                <script>window.__pwn=1</script> [sign in here](http://evil.example/login) to restart the gizmo lamp.
                """);
        return folder;
    }

    private static void stubModel() {
        // the hostile reply for the question that asks for it; the article question makes the model fail, so the
        // article's own text is quoted; everything else gets the pause reply, streamed in pieces
        model.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(1)
                .withRequestBody(containing("travelling abroad"))
                .willReturn(streamed(HOSTILE_REPLY, 400)));
        model.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(1)
                .withRequestBody(containing("gizmo lamp"))
                .willReturn(aResponse().withStatus(500).withBody("{\"error\":{\"message\":\"down\"}}")));
        model.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(1)
                .withRequestBody(containing("SLOWLY"))
                .willReturn(streamed(PAUSE_REPLY, 12_000)));
        model.stubFor(post(urlPathEqualTo("/v1/chat/completions")).atPriority(5)
                .willReturn(streamed(PAUSE_REPLY, 1_500)));
    }

    /** An OpenAI-style streamed chat completion, dribbled out over the given time. */
    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder streamed(String text, int millis) {
        StringBuilder body = new StringBuilder();
        for (String piece : text.split("(?<= )")) {
            ObjectNode choice = KeelProcess.JSON.createObjectNode().put("index", 0);
            choice.putObject("delta").put("content", piece);
            ObjectNode chunk = KeelProcess.JSON.createObjectNode().put("id", "c1").put("object", "chat.completion.chunk")
                    .put("model", "stub-model");
            chunk.putArray("choices").add(choice);
            body.append("data: ").append(chunk.toString()).append("\n\n");
        }
        body.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"stub-model\",\"choices\":[{\"index\":0,")
                .append("\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body.toString())
                .withChunkedDribbleDelay(8, millis);
    }

    /** Another company's site: its own strict CSP and CSS that tries to restyle or hide everything. */
    private static HttpServer hostileSite() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hostile.css", exchange -> {
            byte[] body = """
                    * { font-family: "Comic Sans MS", cursive !important; font-size: 31px !important; color: #f0f !important;
                        letter-spacing: 6px !important; line-height: 4 !important; text-transform: uppercase !important; }
                    div, section, button, textarea, form, header { background: #0f0 !important; border: 9px dotted red !important;
                        padding: 40px !important; margin: 30px !important; width: 10px !important; position: static !important; }
                    keel-chat { display: none !important; opacity: 0 !important; transform: scale(0.1) !important; }
                    body > * { visibility: hidden !important; }
                    """.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/css");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static String hostilePage(String title, String color) {
        return "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Shop</title>"
                + "<link rel=\"stylesheet\" href=\"/hostile.css\"></head><body><h1>Another shop</h1>"
                + "<script src=\"" + keelOrigin + "/widget.js\" data-keel-title=\"" + title + "\" data-keel-color=\"" + color + "\""
                + " data-keel-lang=\"de\" data-keel-allowed-link-hosts=\"" + LINK_HOST + "\" async></script></body></html>";
    }

    // ---- the widget, from the test's side ----

    private static SearchContext shadow() {
        return browser.driver().findElement(By.tagName("keel-chat")).getShadowRoot();
    }

    private static WebElement part(String css) {
        return shadow().findElement(By.cssSelector(css));
    }

    /** Each message bubble as "role|text", in the order shown. */
    @SuppressWarnings("unchecked")
    private static List<String> bubbles() {
        return (List<String>) browser.script("return [..." + SHADOW + ".querySelectorAll('.log .m')]"
                + ".map(m => m.className.replace('m ', '') + '|' + m.textContent)");
    }

    private static void awaitBubble(String description, String role, String text) {
        browser.await(description, Duration.ofSeconds(40),
                () -> bubbles().stream().anyMatch(b -> b.startsWith(role + "|") && b.contains(text)));
    }

    private static void say(String text) {
        WebElement input = part("textarea");
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER);
    }

    private static void openDemoPage() {
        browser.open(keelOrigin + "/");
        browser.await("the widget is on the page", Duration.ofSeconds(10),
                () -> Boolean.TRUE.equals(browser.script("return !!document.querySelector('keel-chat')")));
    }

    private static String conversationId() {
        return (String) browser.script("return JSON.parse(localStorage.getItem('keel:' + location.origin)).conversationId");
    }

    /** A list that a script returned, as strings. */
    private static List<String> strings(Object scriptResult) {
        return ((List<?>) scriptResult).stream().map(String::valueOf).toList();
    }

    /** How many times the browser asked for this conversation's events stream. */
    private static long eventsRequests(String conversationId) {
        String path = "/api/v1/conversations/" + conversationId + "/events";
        return browser.requestedUrls().stream().filter(url -> url.startsWith(keelOrigin + path)).count();
    }

    /** Buttons, fields and regions in the widget that have no name a screen reader could say. */
    private static List<String> unnamedControls() {
        return strings(browser.script("const r = " + SHADOW + ";"
                + "return [...r.querySelectorAll('button, textarea, input, [role=dialog], [role=log]')].filter(e => {"
                + " const by = e.getAttribute('aria-labelledby');"
                + " const name = e.getAttribute('aria-label') || (by && r.getElementById(by)?.textContent) || e.textContent;"
                + " return !name || !name.trim(); }).map(e => e.outerHTML)"));
    }

    private static Object pwned() {
        return browser.script("return typeof window.__pwn === 'undefined' ? null : String(window.__pwn)");
    }

    private static HttpResponse<String> asAgent(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(apiOrigin + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + AGENT_TOKEN).header("X-Keel-Agent", "alex")
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isLessThan(300);
        return response;
    }

    private static void agentSays(String conversationId, String text) throws Exception {
        asAgent("POST", "/api/v1/agent/conversations/" + conversationId + "/messages",
                KeelProcess.JSON.createObjectNode().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).toString());
    }

    private static JsonNode transcript(String conversationId) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(apiOrigin + "/api/v1/agent/conversations/" + conversationId))
                .header("Authorization", "Bearer " + AGENT_TOKEN).header("X-Keel-Agent", "alex").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode view = KeelProcess.JSON.readTree(response.body());
        return view.has("messages") ? view.get("messages") : view.path("conversation").path("messages");
    }

    /** Requests to anywhere but Keel and the host page: there must be none. */
    private static List<String> foreignRequests() {
        List<String> foreign = new ArrayList<>();
        for (String url : browser.requestedUrls()) {
            boolean web = url.startsWith("http:") || url.startsWith("https:") || url.startsWith("ws:") || url.startsWith("wss:");
            if (web && !url.startsWith(keelOrigin + "/") && !url.startsWith(siteOrigin + "/")) {
                foreign.add(url);
            }
        }
        return foreign;
    }

    // ---- the tests ----

    @Test
    @Order(1)
    void aCustomerGetsAStreamedCitedAnswerWithSafeMarkdown() {
        openDemoPage();
        WebElement launcher = part(".l");
        assertThat(launcher.getAttribute("aria-expanded")).isEqualTo("false");
        launcher.click();
        assertThat(launcher.getAttribute("aria-expanded")).isEqualTo("true");
        assertThat(browser.script("return " + SHADOW + ".activeElement.tagName")).isEqualTo("TEXTAREA");
        assertThat(part("textarea").getAttribute("placeholder")).isEqualTo("Type your question");
        assertThat(part("h2").getText()).isEqualTo("Larkspur help");

        // every state the panel passes through, recorded in the page: polling could miss a short one
        browser.script("const r = " + SHADOW + "; window.__widgetSeen = {typing: false, partial: []};"
                + "new MutationObserver(() => { if (r.querySelector('.ty')) { window.__widgetSeen.typing = true; }"
                + " const b = r.querySelector('.m.bot[aria-busy]'); if (b) { window.__widgetSeen.partial.push(b.textContent); } })"
                + ".observe(r, {subtree: true, childList: true, characterData: true})");
        say("How do I pause my plan?");
        awaitBubble("the customer's own message shows at once", "customer", "How do I pause my plan?");
        browser.await("the reply streams in piece by piece and is finished", Duration.ofSeconds(40),
                () -> Boolean.TRUE.equals(browser.script("const b = " + SHADOW + ".querySelector('.m.bot');"
                        + "return !!b && !b.hasAttribute('aria-busy') && b.textContent.includes('has the details')")));
        assertThat(browser.script("return window.__widgetSeen.typing")).as("the typing indicator showed").isEqualTo(true);
        assertThat(strings(browser.script("return window.__widgetSeen.partial")))
                .as("a part of the reply showed before the rest had arrived")
                .anyMatch(text -> text.contains("pause") && !text.contains("has the details"));

        Map<?, ?> reply = (Map<?, ?>) browser.script("const b = " + SHADOW + ".querySelector('.m.bot');"
                + "const a = [...b.querySelectorAll('a')];"
                + "return {strong: b.querySelector('strong')?.textContent, em: b.querySelector('em')?.textContent,"
                + " items: b.querySelectorAll('ul li').length,"
                + " links: a.map(x => x.href + ' ' + x.rel + ' ' + x.target), cites: b.querySelector('.cites')?.textContent}");
        assertThat(reply.get("strong")).isEqualTo("pause your plan");
        assertThat(reply.get("em")).isEqualTo("Account");
        assertThat(reply.get("items")).isEqualTo(2L);
        assertThat(strings(reply.get("links"))).containsExactly(
                "https://" + LINK_HOST + "/pause noopener noreferrer nofollow _blank",
                "https://" + LINK_HOST + "/articles/pause noopener noreferrer nofollow _blank");
        assertThat((String) reply.get("cites")).contains("Pause your plan");
        assertThat(browser.script("return " + SHADOW + ".querySelector('.log').getAttribute('role') + ' '"
                + " + " + SHADOW + ".querySelector('.log').getAttribute('aria-live')")).isEqualTo("log polite");
        browser.screenshot("widget-open");
    }

    @Test
    @Order(2)
    void askingForAPersonShowsTheHandOffWithTheQueuePosition() throws Exception {
        asAgent("POST", "/api/v1/agent/presence", "{\"name\": \"Alex\", \"capacity\": 1}");
        say("I want to talk to a person please");
        awaitBubble("the hand-off notice", "system", "queue");
        browser.await("the place in the queue in the status bar", Duration.ofSeconds(30),
                () -> part(".st").getText().contains("number 1 in the queue"));
        assertThat(part(".st").getText()).matches("You are number 1 in the queue\\. Expected wait: about \\d+ min\\.");
        assertThat(part(".st").getAttribute("role")).isEqualTo("status");
        browser.screenshot("widget-handoff");
    }

    @Test
    @Order(3)
    void theAgentsReplyArrivesWithoutAReload() throws Exception {
        String id = conversationId();
        asAgent("POST", "/api/v1/agent/conversations/" + id + "/claim", "{}");
        browser.await("the status says who the customer is talking to", Duration.ofSeconds(30),
                () -> part(".st").getText().contains("chatting with Alex"));
        WebSocket console = HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + AGENT_TOKEN)
                .header("X-Keel-Agent", "alex")
                .buildAsync(URI.create("ws://127.0.0.1:" + keel.port() + "/api/v1/agent/ws"), new WebSocket.Listener() { })
                .get(30, TimeUnit.SECONDS);
        try {
            console.sendText("{\"type\": \"typing\", \"conversationId\": \"" + id + "\"}", true).get(30, TimeUnit.SECONDS);
            browser.await("the agent's typing shows", Duration.ofSeconds(30),
                    () -> Boolean.TRUE.equals(browser.script("return [..." + SHADOW + ".querySelectorAll('.ty')]"
                            + ".some(t => t.textContent === 'Alex is typing…')")));
        } finally {
            console.abort();
        }
        agentSays(id, "Hi, I am Alex. <img src=x onerror=\"window.__pwn=1\">Let me look at your plan. [more](javascript:window.__pwn=1)");
        awaitBubble("the agent's message, live", "agent", "Let me look at your plan.");
        assertThat(browser.script("return !" + SHADOW + ".querySelector('.ty')")).as("typing ends with the message").isEqualTo(true);
        assertThat(bubbles().stream().filter(b -> b.startsWith("agent|")).toList()).singleElement()
                .satisfies(b -> assertThat(b).startsWith("agent|Alex"));

        say("Thanks, my plan is the fibre one");
        awaitBubble("the customer's message while with the agent", "customer", "fibre one");
        agentSays(id, "Got it, **one moment**.");
        awaitBubble("the agent's second message", "agent", "one moment");
        assertThat(pwned()).isNull();
    }

    @Test
    @Order(4)
    void aReloadKeepsTheConversationWithNothingMissingOrDoubled() throws Exception {
        beforeReload = bubbles();
        browser.driver().navigate().refresh();
        browser.await("the widget reopens with the transcript", Duration.ofSeconds(30),
                () -> bubbles().size() >= beforeReload.size());
        browser.await("the status is back", Duration.ofSeconds(30), () -> part(".st").getText().contains("Alex"));
        assertThat(bubbles()).containsExactlyElementsOf(beforeReload);
        assertThat(bubbles()).hasSize(transcript(conversationId()).size());
    }

    @Test
    @Order(5)
    void afterTheNetworkDropsAndComesBackNothingIsMissingOrDoubled() throws Exception {
        String id = conversationId();
        int before = bubbles().size();
        browser.offline(true);
        relay.dropConnections();
        // the events stream breaks; the widget says so while it backs off and tries again
        browser.await("the widget notices the connection is gone", Duration.ofSeconds(60),
                () -> Boolean.TRUE.equals(browser.script("return [..." + SHADOW + ".querySelectorAll('.st')]"
                        + ".some(s => !s.hidden && s.textContent.includes('Reconnecting'))")));
        agentSays(id, "Are you still there?");
        agentSays(id, "Your plan can be paused from My Larkspur.");
        browser.offline(false);
        awaitBubble("the messages sent while offline arrive", "agent", "paused from My Larkspur");
        List<String> after = bubbles();
        assertThat(after).hasSize(before + 2);
        assertThat(after).doesNotHaveDuplicates();
        assertThat(after).hasSize(transcript(id).size());
    }

    @Test
    @Order(6)
    void aStreamThatBreaksOffersARetryThatResendsTheSameMessage() throws Exception {
        String id = conversationId();
        long notices = bubbles().stream().filter(b -> b.startsWith("system|")).count();
        asAgent("POST", "/api/v1/agent/conversations/" + id + "/handback", "{}");
        browser.await("the notice that the bot is back", Duration.ofSeconds(30),
                () -> bubbles().stream().filter(b -> b.startsWith("system|")).count() == notices + 1);
        int before = transcript(id).size();
        say("Please explain SLOWLY how to pause my plan");
        browser.await("the reply has started", Duration.ofSeconds(30),
                () -> Boolean.TRUE.equals(browser.script("return !!" + SHADOW + ".querySelector('.m.bot[aria-busy]')")));
        browser.offline(true);
        relay.dropConnections();
        browser.await("a clear message with a retry button", Duration.ofSeconds(30),
                () -> Boolean.TRUE.equals(browser.script("return !!" + SHADOW + ".querySelector('.err button')")));
        assertThat(part(".err").getText()).contains("did not come through");
        browser.offline(false);
        part(".err button").click();
        browser.await("the reply after the retry", Duration.ofSeconds(60),
                () -> Boolean.TRUE.equals(browser.script("return !" + SHADOW + ".querySelector('.err, .m.bot[aria-busy]')"))
                        && bubbles().get(bubbles().size() - 1).startsWith("bot|"));
        JsonNode messages = transcript(id);
        long customerCopies = 0;
        for (JsonNode m : messages) {
            if (m.path("text").asText().contains("SLOWLY")) {
                customerCopies++;
            }
        }
        assertThat(customerCopies).as("the retried message is stored once").isEqualTo(1);
        assertThat(messages.size()).isEqualTo(before + 2);
        browser.await("the widget shows the transcript exactly", Duration.ofSeconds(20), () -> bubbles().size() == messages.size());
        assertThat(bubbles()).doesNotHaveDuplicates();
    }

    @Test
    @Order(7)
    void untrustedTextFromCustomerModelAgentAndArticleExecutesNowhere() throws Exception {
        browser.script("window.KeelWidget.restart(null)");
        say(CUSTOMER_PAYLOAD);
        awaitBubble("the customer's message is shown as text", "customer", "Order help please");
        awaitBubble("the bot's answer to it", "bot", "");
        say("Can I pause my plan while I am travelling abroad?");
        awaitBubble("the model's hostile reply, defused", "bot", "Pausing works");
        say("Why does the gizmo lamp blink purple?");
        awaitBubble("the article's hostile text, quoted", "bot", "gizmo");
        browser.await("the last reply is finished", Duration.ofSeconds(30),
                () -> Boolean.TRUE.equals(browser.script("return !" + SHADOW + ".querySelector('.ty, [aria-busy]')")));
        browser.driver().navigate().refresh();
        browser.await("the transcript is back after the reload", Duration.ofSeconds(30),
                () -> bubbles().stream().anyMatch(b -> b.contains("gizmo")));

        assertThat(pwned()).as("window.__pwn").isNull();
        Map<?, ?> dom = (Map<?, ?>) browser.script("const r = " + SHADOW + ";"
                + "return {images: r.querySelectorAll('img, script, iframe, object, embed, svg').length,"
                + " handlers: [...r.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,"
                + " hrefs: [...r.querySelectorAll('a')].map(a => a.href), strong: [...r.querySelectorAll('.customer strong')].map(s => s.textContent)}");
        assertThat(dom.get("images")).isEqualTo(0L);
        assertThat(dom.get("handlers")).isEqualTo(0L);
        assertThat(strings(dom.get("hrefs"))).allSatisfy(href -> assertThat(href).startsWith("https://" + LINK_HOST + "/"));
        assertThat(strings(dom.get("strong"))).contains("thanks");
        assertThat(foreignRequests()).as("requests to other hosts").isEmpty();
    }

    @Test
    @Order(8)
    void theKeyboardAloneWorksAndTheLimitIsShown() {
        WebElement launcher = part(".l");
        if ("true".equals(launcher.getAttribute("aria-expanded"))) {
            part(".x").click();
        }
        launcher = part(".l");
        launcher.sendKeys(Keys.ENTER);
        WebElement input = part("textarea");
        assertThat(browser.script("return " + SHADOW + ".activeElement === " + SHADOW + ".querySelector('textarea')")).isEqualTo(true);
        input.sendKeys("first line", Keys.chord(Keys.SHIFT, Keys.ENTER), "second line");
        assertThat(input.getAttribute("value")).isEqualTo("first line\nsecond line");
        input.clear();

        browser.script("const t = " + SHADOW + ".querySelector('textarea'); t.value = 'x'.repeat(4001);"
                + "t.dispatchEvent(new Event('input'))");
        assertThat(part(".cnt").getText()).isEqualTo("4001 / 4000 characters");
        assertThat(part(".cnt").getAttribute("class")).contains("over");
        input.sendKeys(Keys.ENTER);
        browser.await("the limit is explained", Duration.ofSeconds(20),
                () -> Boolean.TRUE.equals(browser.script(
                        "return [..." + SHADOW + ".querySelectorAll('.err')].some(e => e.textContent.includes('message too long (max 4000 characters)'))")));
        assertThat(input.getAttribute("value")).as("the text is kept to shorten").hasSize(4001);
        input.clear();

        input.sendKeys(Keys.ESCAPE);
        assertThat(part(".p").isDisplayed()).isFalse();
        assertThat(browser.script("return " + SHADOW + ".activeElement === " + SHADOW + ".querySelector('.l')")).isEqualTo(true);
    }

    @Test
    @Order(9)
    void endingTheChatAsksForARatingAndStoresIt() {
        part(".l").click();
        part(".end").click();
        assertThat(browser.script("return " + SHADOW + ".activeElement.getAttribute('aria-label')"))
                .as("focus moves to the first score").isEqualTo("1 of 5");
        assertThat(unnamedControls()).as("controls a screen reader cannot name").isEmpty();
        WebElement four = shadow().findElements(By.cssSelector(".rt label span")).get(3);
        four.click();
        part(".rt textarea").sendKeys("Quick and friendly");
        part(".rt button[type=submit]").click();
        browser.await("the thanks", Duration.ofSeconds(20), () -> part(".rt").getText().contains("Thank you"));
        try (Jedis stored = new Jedis(URI.create(redis.url()))) {
            Map<String, String> conversation = stored.hgetAll("keel:conv:" + conversationId());
            assertThat(conversation).containsEntry("rating", "4").containsEntry("ratingComment", "Quick and friendly");
        }
    }

    @Test
    @Order(10)
    void whenTheAgentResolvesTheChatTheRatingIsOffered() throws Exception {
        browser.script("window.KeelWidget.restart(null)");
        asAgent("POST", "/api/v1/agent/presence", "{\"name\": \"Alex\", \"capacity\": 1}");
        say("I want to talk to a person please");
        awaitBubble("the hand-off notice", "system", "queue");
        String id = conversationId();
        asAgent("POST", "/api/v1/agent/conversations/" + id + "/claim", "{}");
        browser.await("the agent has joined", Duration.ofSeconds(30), () -> part(".st").getText().contains("chatting with Alex"));
        asAgent("POST", "/api/v1/agent/conversations/" + id + "/resolve", "{\"disposition\": \"resolved\"}");
        browser.await("the rating form, unasked", Duration.ofSeconds(30), () -> part(".rt").isDisplayed());
        assertThat(part(".rt legend").getText()).startsWith("How was this chat?");
        browser.screenshot("widget-rating");
        part(".rt .b2").click();
        assertThat(part(".rt").isDisplayed()).isFalse();
    }

    @Test
    @Order(11)
    void aTokenThatExpiresWhileTheEventsStreamIsOpenStartsANewChatWithoutARequestThatMustFail() throws Exception {
        browser.script("window.KeelWidget.restart(null)");
        say("How do I pause my plan?");
        awaitBubble("the reply", "bot", "has the details");
        String old = conversationId();
        browser.await("the events stream is open", Duration.ofSeconds(20), () -> eventsRequests(old) > 0);
        long opened = eventsRequests(old);
        try (Jedis stored = new Jedis(URI.create(redis.url()))) {
            stored.hset("keel:conv:" + old, "tokenExpiresAt", "1");
        }
        // a hand-off anywhere makes every open stream read again, and that read finds the token expired
        JsonNode other = keel.open(null);
        keel.say(other, "I want to talk to a person please", UUID.randomUUID().toString());
        browser.await("the widget says the chat has ended", Duration.ofSeconds(40),
                () -> part(".log").getText().contains("Your earlier chat has ended"));
        assertThat(bubbles()).isEmpty();
        assertThat(browser.script("return localStorage.getItem('keel:' + location.origin)")).isNull();
        assertThat(eventsRequests(old)).as("requests for the old conversation's events after its token expired").isEqualTo(opened);

        say("How do I pause my plan?");
        awaitBubble("the reply in a new conversation", "bot", "has the details");
        assertThat(conversationId()).isNotEqualTo(old);
        assertThat(bubbles()).hasSize(2);
    }

    @Test
    @Order(12)
    void onAPhoneThePanelFillsTheScreen() {
        browser.phoneViewport();
        try {
            openDemoPage();
            browser.script("window.KeelWidget.restart(null)");
            Map<?, ?> rect = (Map<?, ?>) browser.script("const r = " + SHADOW + ".querySelector('.p').getBoundingClientRect();"
                    + "return {x: r.x, y: r.y, w: r.width, h: r.height, vw: innerWidth, vh: innerHeight}");
            assertThat(((Number) rect.get("x")).doubleValue()).isZero();
            assertThat(((Number) rect.get("y")).doubleValue()).isZero();
            assertThat(((Number) rect.get("w")).doubleValue()).isEqualTo(((Number) rect.get("vw")).doubleValue());
            assertThat(((Number) rect.get("h")).doubleValue()).isEqualTo(((Number) rect.get("vh")).doubleValue());
            say("How do I pause my plan?");
            awaitBubble("a reply on the phone", "bot", "has the details");
            browser.screenshot("widget-phone");
            part(".x").click();
            assertThat(part(".l").isDisplayed()).isTrue();
        } finally {
            browser.desktopViewport();
        }
    }

    @Test
    @Order(13)
    void onAnotherSiteWithHostileCssAndAStrictCspTheWidgetLooksTheSameAndWorks() {
        String probe = "const h = document.querySelector('keel-chat'), r = h.shadowRoot; const s = e => { const c = getComputedStyle(e);"
                + " return [c.display, c.position, c.fontFamily, c.fontSize, c.color, c.backgroundColor, c.borderTopWidth,"
                + " c.paddingTop, c.width, c.height, c.letterSpacing, c.textTransform, c.visibility, c.opacity].join(' ') };"
                + "const hs = getComputedStyle(h);"
                + "return [[hs.display, hs.visibility, hs.opacity, hs.transform, hs.position].join(' '), s(r.querySelector('.l')), s(r.querySelector('.p')),"
                + " s(r.querySelector('textarea')).replace(/ [0-9.]+px [0-9.]+px normal/, ' normal'), s(r.querySelector('header'))]";
        openDemoPage();
        if (!part(".p").isDisplayed()) {
            part(".l").click();
        }
        List<String> atHome = strings(browser.script(probe));

        browser.open(siteOrigin + "/");
        browser.await("the widget is on the other site", Duration.ofSeconds(10),
                () -> Boolean.TRUE.equals(browser.script("return !!document.querySelector('keel-chat')")));
        part(".l").click();
        List<String> abroad = strings(browser.script(probe));
        assertThat(abroad).containsExactlyElementsOf(atHome);
        assertThat(part("textarea").getAttribute("placeholder")).isEqualTo("Ihre Frage");
        assertThat(part("textarea").getAttribute("aria-label")).isEqualTo("Ihre Nachricht");

        say("Wie pausiere ich meinen Vertrag? pause plan");
        browser.await("a reply across origins", Duration.ofSeconds(40),
                () -> bubbles().stream().anyMatch(b -> b.startsWith("bot|") || b.startsWith("system|")));
        browser.screenshot("widget-hostile-site");
        assertThat(browser.consoleMessages()).noneMatch(m -> m.contains("Content Security Policy"));
        assertThat(foreignRequests()).isEmpty();
    }

    @Test
    @Order(14)
    void theScriptTagSetsTitleColourAndLanguage() {
        browser.open(siteOrigin + "/brand");
        browser.await("the widget is on the page", Duration.ofSeconds(10),
                () -> Boolean.TRUE.equals(browser.script("return !!document.querySelector('keel-chat')")));
        Map<?, ?> brand = (Map<?, ?>) browser.script("const r = " + SHADOW + ", l = r.querySelector('.l'), h = r.querySelector('header');"
                + "return {launcher: l.textContent, title: r.querySelector('h2').textContent, background: getComputedStyle(l).backgroundColor,"
                + " text: getComputedStyle(l).color, header: getComputedStyle(h).backgroundColor, send: r.querySelector('.c .b').textContent}");
        assertThat(brand.get("launcher")).isEqualTo("Shop-Hilfe");
        assertThat(brand.get("title")).isEqualTo("Shop-Hilfe");
        assertThat(brand.get("background")).isEqualTo("rgb(255, 211, 61)");
        assertThat(brand.get("header")).isEqualTo("rgb(255, 211, 61)");
        assertThat(brand.get("text")).as("dark text on a light brand colour").isEqualTo("rgb(17, 17, 17)");
        assertThat(brand.get("send")).isEqualTo("Senden");
    }

    @Test
    @Order(15)
    void theWidgetWithItsStylesIsAtMost15KBGzippedAndServedAsWritten() throws Exception {
        HttpResponse<byte[]> served = HTTP.send(HttpRequest.newBuilder(URI.create(keelOrigin + "/widget.js")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).as("no build step: Keel serves the file in the repository")
                .isEqualTo(Files.readAllBytes(Path.of("../widget/web/widget.js")));
        assertThat(new String(served.body(), StandardCharsets.UTF_8)).as("no way for text to become markup or code")
                .doesNotContainPattern("\\.(innerHTML|outerHTML)\\s*=|insertAdjacentHTML|document\\.write|createContextualFragment"
                        + "|\\beval\\(|new Function|setTimeout\\(\\s*['\"]");
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(served.body());
        }
        // the styles are part of the script (a constructed stylesheet), so this is script and styles together
        System.out.printf("widget.js: %,d bytes, %,d bytes gzipped (limit 15,000)%n", served.body().length, zipped.size());
        assertThat(zipped.size()).isLessThanOrEqualTo(15_000);
    }
}

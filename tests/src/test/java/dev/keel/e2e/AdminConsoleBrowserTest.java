package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.e2e.browser.Chromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin console in a real browser against the packaged server: an admin signs in, changes a
 * fact in an article and publishes it, and the next chat answer has the new fact; a change saved
 * elsewhere first is shown as a conflict; an old version is restored; several files are imported
 * all or nothing; an article full of script payloads is previewed, saved and retrieved without any
 * of them running (CASES K-OUTPUT-ESCAPING); "try the bot" shows the decision, its reasons, the
 * answerability and the passages for a chosen customer; thresholds and playbooks are changed and
 * take effect; the prompt templates are listed; the reports draw their charts and rank the failed
 * questions. Screenshots go to {@code target/screenshots}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminConsoleBrowserTest {
    private static final String ADMIN_PASSWORD = "admin-console-browser-password";
    private static final String AGENT_TOKEN = "admin-console-browser-agent-token";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Covered by an article, but not by much: a stricter threshold turns it into a gap. */
    private static final String BORDERLINE = "Is there a discount on the bill for students?";
    private static final String GAP = "Does my internet plan include a satellite TV dish?";
    private static KeelProcess keel;
    private static Chromium browser;
    private static String highRisk;
    private static String lowRisk;
    /** The customer who asked for a person and waits in the queue until an agent claims them. */
    private static JsonNode waiting;

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of("..");
        Path data = Files.createTempDirectory("keel-admin-browser");
        // the bundled articles are copied: the console writes to the folder it serves
        Path articles = Files.createDirectories(data.resolve("articles"));
        try (Stream<Path> files = Files.list(root.resolve("knowledge-base/articles"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".md")).toList()) {
                Files.copy(file, articles.resolve(file.getFileName()));
            }
        }
        Path table = root.resolve("churn/customers/telco_churn.csv");
        keel = KeelProcess.start(data.resolve("keel"), Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD, "KEEL_AGENT_TOKEN", AGENT_TOKEN),
                "--kb", articles.toString(), "--customers", table.toString(),
                "--no-secure-cookies", "--trust-unverified-customer-ids");
        browser = Chromium.start();
        highRisk = Customers.highRisk(table);
        lowRisk = Customers.lowRisk(table);
        // something for the reports to count: an answer, a hand-off, and questions the knowledge base
        // fails, one asked by two customers, one carrying a visitor's script payload
        assertThat(agent("POST", "/presence", "{\"name\":\"Ana\",\"capacity\":2}").statusCode()).isEqualTo(200);
        keel.say(keel.open(null), "How do I pause my plan?", "r1");
        waiting = keel.open(highRisk);
        assertThat(keel.say(waiting, "I want to talk to a human", "r2").get("decision").asText()).isEqualTo("HANDOFF");
        keel.say(keel.open(highRisk), GAP, "r3");
        keel.say(keel.open(lowRisk), GAP, "r4");
        keel.say(keel.open(null), "Order help please <img src=q onerror=\"window.__pwn=1\"> can I pay my bill with bitcoin?", "r5");
    }

    /** The agent API with the service token, acting for the agent "ana". */
    private static HttpResponse<String> agent(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + keel.port() + "/api/v1/agent" + path))
                .header("Authorization", "Bearer " + AGENT_TOKEN).header("X-Keel-Agent", "ana")
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
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

    private static void awaitVisible(String id) {
        browser.await(id + " is shown", WAIT, () -> browser.byId(id).isDisplayed());
    }

    /** Accepts the confirmation dialog that the last click opened. */
    private static void confirm() {
        new WebDriverWait(browser.driver(), WAIT).until(ExpectedConditions.alertIsPresent()).accept();
    }

    private static void tab(String name) {
        browser.driver().findElement(By.cssSelector("button[data-tab='" + name + "']")).click();
        awaitVisible("panel-" + name);
    }

    private static void type(String id, String text) {
        WebElement field = browser.byId(id);
        field.clear();
        field.sendKeys(text);
    }

    @Test
    @Order(1)
    void anAdminSignsInChangesAFactPublishesAndTheNextAnswerHasIt() throws Exception {
        browser.open("http://127.0.0.1:" + keel.port() + "/admin/");
        awaitVisible("sign-in-form");
        type("sign-in-name", "admin");
        type("sign-in-password", ADMIN_PASSWORD);
        browser.byId("sign-in-submit").click();
        awaitVisible("panel-articles");

        type("filter-text", "pause fee");
        browser.byId("filter-text").submit();
        browser.await("the pause article is listed", WAIT, () -> !browser.driver()
                .findElements(By.cssSelector("#article-rows tr[data-id='lk-pause-plan']")).isEmpty());
        browser.driver().findElement(By.cssSelector("#article-rows tr[data-id='lk-pause-plan']")).click();
        browser.await("the editor holds the article", WAIT, () -> browser.byId("article-body").getAttribute("value").contains("pause fee of $5"));

        String edited = browser.byId("article-body").getAttribute("value").replace("pause fee of $5 per month", "pause fee of $4 per month");
        browser.script("var body = document.getElementById('article-body'); body.value = arguments[0];"
                + " body.dispatchEvent(new Event('input'));", edited);
        browser.await("the preview shows the new fee", WAIT,
                () -> String.valueOf(browser.byId("article-preview").getAttribute("srcdoc")).contains("$4 per month"));
        browser.byId("article-publish").click();
        browser.await("version 2 is saved and published", WAIT,
                () -> browser.byId("article-version").getText().equals("2") && browser.byId("article-status").getText().equals("published"));
        browser.await("the revision list shows version 1", WAIT, () -> browser.byId("revision-rows").getText().contains("1"));
        browser.driver().findElement(By.cssSelector("#revision-rows button")).click();
        browser.await("the diff shows the change", WAIT, () -> browser.byId("diff").getText().contains("- Your normal monthly")
                && browser.byId("diff").getText().contains("$4 per month"));
        browser.script("document.getElementById('editor').scrollIntoView()");
        browser.screenshot("admin-articles-editor");

        JsonNode reply = keel.say(keel.open(null), "How much is the pause fee per month?", UUID.randomUUID().toString());
        assertThat(reply.get("text").asText()).contains("$4 per month").doesNotContain("$5 per month");
    }

    @Test
    @Order(2)
    void aChangeSavedElsewhereFirstIsShownAsAConflictAndNothingIsOverwritten() throws Exception {
        // another admin saves version 3 through the API while the console still holds version 2
        HttpClient http = HTTP;
        String base = "http://127.0.0.1:" + keel.port();
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        String csrf = KeelProcess.JSON.readTree(login.body()).get("csrfToken").asText();
        ObjectNode article = (ObjectNode) KeelProcess.JSON.readTree(keel.getSignedIn("/api/v1/admin/articles/lk-pause-plan", cookie).body());
        article.put("title", "Pausing your plan");
        HttpResponse<String> saved = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/admin/articles/lk-pause-plan"))
                .header("Content-Type", "application/json").header("Cookie", cookie).header("X-CSRF-Token", csrf)
                .header("If-Match", "\"2\"").PUT(HttpRequest.BodyPublishers.ofString(article.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(saved.statusCode()).isEqualTo(200);

        type("article-title", "Pause your plan (edited in the console)");
        browser.byId("article-publish").click();
        awaitVisible("conflict");
        assertThat(browser.byId("conflict-text").getText()).contains("You edited version 2", "version 3");
        assertThat(browser.byId("article-title").getAttribute("value")).isEqualTo("Pause your plan (edited in the console)");
        JsonNode stored = KeelProcess.JSON.readTree(keel.getSignedIn("/api/v1/admin/articles/lk-pause-plan", cookie).body());
        assertThat(stored.get("version").asInt()).isEqualTo(3);
        assertThat(stored.get("title").asText()).isEqualTo("Pausing your plan");
        browser.byId("conflict-theirs").click();
        browser.await("their version is loaded", WAIT, () -> browser.byId("article-version").getText().equals("3")
                && browser.byId("article-title").getAttribute("value").equals("Pausing your plan"));
        assertThat(browser.byId("conflict").isDisplayed()).isFalse();
    }

    @Test
    @Order(3)
    void anOldVersionIsRestoredAndTheNextAnswerHasItsFactAgain() throws Exception {
        browser.await("the revisions of version 3 are listed", WAIT,
                () -> browser.driver().findElements(By.cssSelector("#revision-rows tr")).size() == 2);
        WebElement first = browser.driver().findElements(By.cssSelector("#revision-rows tr")).stream()
                .filter(row -> row.findElement(By.tagName("td")).getText().equals("1")).findFirst().orElseThrow();
        first.findElement(By.xpath(".//button[text()='Revert to this']")).click();
        confirm();
        browser.await("version 1 is restored as version 4", WAIT, () -> browser.byId("article-version").getText().equals("4")
                && browser.byId("article-body").getAttribute("value").contains("pause fee of $5 per month"));
        assertThat(browser.byId("article-title").getAttribute("value")).isEqualTo("Pause your plan");
        JsonNode reply = keel.say(keel.open(null), "How much is the pause fee per month?", UUID.randomUUID().toString());
        assertThat(reply.get("text").asText()).contains("$5 per month").doesNotContain("$4 per month");
    }

    @Test
    @Order(4)
    void severalFilesAreImportedAllOrNothing() throws Exception {
        Path dir = Files.createTempDirectory("keel-import");
        Path good = Files.writeString(dir.resolve("gift-cards.md"),
                "---\nid: lk-gift-cards\ntitle: Gift cards\nstatus: published\n---\nGift cards of 25 pounds are sold in every shop.\n");
        Path bad = Files.writeString(dir.resolve("no-title.md"), "---\nid: lk-no-title\n---\nA body without a title.\n");
        browser.byId("import-files").sendKeys(good + "\n" + bad);
        browser.byId("import-run").click();
        browser.await("the errors are listed", WAIT, () -> browser.byId("import-result").getText().contains("no-title.md"));
        assertThat(browser.byId("import-result").getText()).contains("nothing was imported", "'title'").doesNotContain("lk-gift-cards version");
        assertThat(keel.say(keel.open(null), "Do you sell gift cards?", UUID.randomUUID().toString()).get("text").asText())
                .doesNotContain("25 pounds");

        Files.writeString(bad, "---\nid: lk-no-title\ntitle: Now with a title\nstatus: draft\n---\nA body.\n");
        browser.byId("import-files").clear();
        browser.byId("import-files").sendKeys(good + "\n" + bad);
        browser.byId("import-run").click();
        browser.await("both are imported", WAIT, () -> browser.byId("import-result").getText().contains("lk-gift-cards version 1")
                && browser.byId("import-result").getText().contains("lk-no-title version 1"));
        assertThat(keel.say(keel.open(null), "Do you sell gift cards?", UUID.randomUUID().toString()).get("text").asText())
                .contains("25 pounds");
    }

    @Test
    @Order(5)
    void scriptPayloadsInAnArticleNeverRunInThePreviewOrTheList() {
        String payload = "<img src=x onerror=\"window.__pwn=1\">";
        browser.byId("article-new").click();
        type("article-id", "lk-xss-probe");
        type("article-title", "Probe " + payload);
        String body = "# Probe\n\n" + payload + "\n\n<script>window.__pwn=1</script>\n\n[click me](javascript:window.__pwn=1)\n\n"
                + "<a href=\"#\" onclick=\"window.__pwn=1\">raw link</a> ![x](https://tracker.example/p.png)\n";
        browser.script("var b = document.getElementById('article-body'); b.value = arguments[0]; b.dispatchEvent(new Event('input'));", body);
        browser.await("the preview is rendered", WAIT,
                () -> String.valueOf(browser.byId("article-preview").getAttribute("srcdoc")).contains("<h1>Probe</h1>"));
        String srcdoc = browser.byId("article-preview").getAttribute("srcdoc").toLowerCase();
        assertThat(srcdoc).doesNotContain("onerror", "onclick", "<script", "javascript:", "tracker.example");
        browser.byId("article-save-draft").click();
        browser.await("the probe is saved as a draft", WAIT, () -> browser.byId("article-status").getText().equals("draft"));
        type("filter-text", "lk-xss-probe");
        browser.byId("filter-text").submit();
        browser.await("the probe is listed with its title as text", WAIT, () -> browser.byId("article-rows").getText().contains("onerror"));
        // published, so that retrieval finds it for "try the bot" below
        browser.byId("article-publish").click();
        browser.await("the probe is published", WAIT, () -> browser.byId("article-status").getText().equals("published"));
        browser.byId("revision-rows").findElement(By.tagName("button")).click();
        browser.await("the diff is shown", WAIT, () -> browser.byId("diff").getText().contains("status: draft"));
        // the sandboxed preview is a separate origin: the console cannot reach into it, nor it into the console
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(browser.script("return document.getElementById('article-preview').contentDocument")).isNull();
        assertThat(browser.driver().findElements(By.cssSelector("#article-rows img, #diff img, #editor-heading img"))).isEmpty();
        assertThat(browser.byId("diff").getText()).contains("title: Probe <img src=x onerror=");
        assertThat(browser.requestedUrls().stream().filter(url -> url.startsWith("http")))
                .allMatch(url -> url.startsWith("http://127.0.0.1:" + keel.port() + "/"));
    }

    @Test
    @Order(6)
    void tryTheBotShowsTheDecisionItsReasonsTheScoreAndThePassagesForAChosenCustomer() {
        tab("try");
        type("try-question", "How long can I pause my plan?");
        type("try-customer", highRisk);
        browser.byId("try-question").submit();
        awaitVisible("try-result");
        assertThat(browser.byId("try-decision").getText()).isIn("ANSWER", "ANSWER_AND_OFFER_HUMAN");
        assertThat(browser.byId("try-reasons").findElements(By.cssSelector(".chip"))).extracting(WebElement::getText)
                .contains("ANSWERED_FROM_KNOWLEDGE_BASE");
        List<WebElement> passages = browser.driver().findElements(By.cssSelector("#try-passages li.passage"));
        assertThat(passages).isNotEmpty();
        assertThat(passages.get(0).getText()).contains("lk-pause-plan", "score");
        assertThat(browser.byId("try-signals").getText()).contains("Answerability", "(covered)", "Intent", "Churn risk HIGH", highRisk);
        browser.script("window.scrollTo(0, 0)");
        browser.screenshot("admin-try-the-bot");

        type("try-question", "I want to talk to a human");
        browser.byId("try-question").submit();
        browser.await("a request for a person is a hand-off", WAIT, () -> browser.byId("try-decision").getText().equals("HANDOFF"));
        assertThat(browser.byId("try-reasons").getText()).contains("INTENT_HUMAN");

        // the probe article's payloads come back as passage text and stay text
        type("try-question", "What does the probe raw link do?");
        type("try-customer", "");
        browser.byId("try-question").submit();
        browser.await("the probe is retrieved", WAIT, () -> browser.byId("try-passages").getText().contains("lk-xss-probe"));
        assertThat(browser.driver().findElements(By.cssSelector("#try-passages img, #try-passages script, #try-passages a"))).isEmpty();
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
    }

    @Test
    @Order(7)
    void thresholdsAndPlaybooksAreChangedInTheConsoleAndTakeEffect() throws Exception {
        tab("try");
        type("try-question", BORDERLINE);
        browser.byId("try-question").submit();
        browser.await("the borderline question is covered", WAIT, () -> browser.byId("try-signals").getText().contains("(covered)")
                && browser.byId("try-reasons").getText().contains("ANSWERED_FROM_KNOWLEDGE_BASE"));

        tab("escalation");
        browser.await("the thresholds are shown", WAIT, () -> !browser.driver().findElements(By.id("threshold-minAnswerability")).isEmpty());
        assertThat(browser.byId("settings-info").getText()).contains("configured values are in force");
        type("threshold-minAnswerability", "0.95");
        browser.script("var p = document.getElementById('playbooks'); var list = JSON.parse(p.value);"
                + " list.unshift({band: '*', intent: '*', steps: ['Check the outage map before anything else.']});"
                + " p.value = JSON.stringify(list, null, 2);");
        browser.byId("thresholds-form").findElement(By.cssSelector("button[type='submit']")).click();
        browser.await("version 1 of the settings is saved", WAIT, () -> browser.byId("settings-info").getText().contains("Version 1, changed by admin"));
        browser.script("window.scrollTo(0, 0)");
        browser.screenshot("admin-escalation");

        // the stricter threshold applies to the next question at once
        tab("try");
        type("try-question", BORDERLINE);
        browser.byId("try-question").submit();
        browser.await("the same question is now a gap", WAIT, () -> browser.byId("try-reasons").getText().contains("NOT_IN_KNOWLEDGE_BASE"));
        assertThat(browser.byId("try-signals").getText()).contains("(not covered)");

        // the new playbook is what the agent who claims the waiting customer is shown
        String path = "/conversations/" + waiting.get("conversationId").asText();
        assertThat(agent("POST", "/presence", "{\"name\":\"Ana\",\"capacity\":2}").statusCode()).isEqualTo(200);
        assertThat(agent("POST", path + "/claim", null).statusCode()).isEqualTo(200);
        JsonNode briefing = KeelProcess.JSON.readTree(agent("GET", path, null).body());
        assertThat(briefing.findValue("playbook").get("steps").get(0).asText()).isEqualTo("Check the outage map before anything else.");

        tab("escalation");
        browser.byId("settings-reset").click();
        confirm();
        browser.await("the configured values are back", WAIT, () -> browser.byId("settings-info").getText().contains("configured values are in force")
                && browser.byId("threshold-minAnswerability").getAttribute("value").equals("0.45"));
        assertThat(browser.byId("playbooks").getAttribute("value")).doesNotContain("outage map before anything");
    }

    @Test
    @Order(8)
    void thePromptTemplatesAreListedWithTheirVersions() {
        tab("prompts");
        browser.await("the templates are listed", WAIT, () -> !browser.driver().findElements(By.cssSelector("#prompt-list details.prompt")).isEmpty());
        List<WebElement> prompts = browser.driver().findElements(By.cssSelector("#prompt-list details.prompt"));
        assertThat(prompts).extracting(p -> p.findElement(By.tagName("summary")).getText())
                .anyMatch(summary -> summary.startsWith("reply-not-covered") && summary.contains("reply-not-covered@"));
        prompts.get(0).findElement(By.tagName("summary")).click();
        assertThat(prompts.get(0).findElement(By.cssSelector("pre.prompt-text")).getText()).isNotBlank();
        assertThat(browser.driver().findElements(By.cssSelector("#prompt-list textarea, #prompt-list input"))).isEmpty();
    }

    @Test
    @Order(9)
    void theReportsDrawTheirChartsAndRankTheFailedQuestions() {
        tab("reports");
        for (String chart : List.of("chart-resolved", "chart-reasons", "chart-satisfaction", "chart-wait", "chart-churn")) {
            browser.await(chart + " is drawn", WAIT, () -> !browser.driver().findElements(By.cssSelector("#" + chart + " svg")).isEmpty());
        }
        assertThat(browser.byId("chart-resolved").getText()).contains("%", "handed to a person");
        assertThat(browser.driver().findElements(By.cssSelector("#chart-reasons svg rect"))).isNotEmpty();
        assertThat(browser.byId("chart-reasons").getText()).contains("INTENT_HUMAN");
        // the ratings come from the widget's rating route; none were given here
        assertThat(browser.byId("chart-satisfaction").getText()).contains("No ratings yet.");
        assertThat(browser.byId("chart-wait").getText()).contains("median");
        assertThat(browser.byId("chart-churn").getText()).contains("high 1", "low 1");
        assertThat(browser.driver().findElements(By.cssSelector("#chart-churn svg rect"))).isNotEmpty();

        List<WebElement> rows = browser.driver().findElements(By.cssSelector("#failed-rows tr"));
        assertThat(rows).hasSizeGreaterThanOrEqualTo(2);
        List<WebElement> top = rows.get(0).findElements(By.tagName("td"));
        assertThat(top.get(0).getText()).isEqualTo(GAP);
        assertThat(top.get(1).getText()).isEqualTo("2");
        assertThat(browser.byId("failed-rows").getText()).contains("bitcoin").doesNotContain("onerror");
        assertThat(browser.driver().findElements(By.cssSelector("#failed-rows img"))).isEmpty();
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        browser.script("window.scrollTo(0, 0)");
        browser.screenshot("admin-reports");
        browser.script("document.getElementById('failed-rows').closest('table').scrollIntoView()");
        browser.screenshot("admin-reports-failed-questions");
    }
}

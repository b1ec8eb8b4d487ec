package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.e2e.browser.Chromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

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
 * fact in an article and publishes it, and the next chat answer has the new fact; an article full
 * of script payloads is previewed and saved without any of them running (CASES K-OUTPUT-ESCAPING);
 * "try the bot" shows the decision and the passages; the reports draw their charts. Screenshots of
 * the editor, try-the-bot and the reports go to {@code target/screenshots}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminConsoleBrowserTest {
    private static final String ADMIN_PASSWORD = "admin-console-browser-password";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static KeelProcess keel;
    private static Chromium browser;

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
        keel = KeelProcess.start(data.resolve("keel"), Map.of("KEEL_ADMIN_PASSWORD", ADMIN_PASSWORD),
                "--kb", articles.toString(), "--customers", root.resolve("churn/customers/telco_churn.csv").toString(),
                "--no-secure-cookies", "--trust-unverified-customer-ids");
        browser = Chromium.start();
        // something for the reports to count
        keel.say(keel.open(null), "How do I pause my plan?", "r1");
        keel.say(keel.open("7590-VHVEG"), "I want to talk to a human", "r2");
        keel.say(keel.open(null), "Do you offer a discount for students?", "r3");
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

    private static WebElement byId(String id) {
        return browser.driver().findElement(By.id(id));
    }

    private static void awaitVisible(String id) {
        browser.await(id + " is shown", WAIT, () -> byId(id).isDisplayed());
    }

    private static void type(String id, String text) {
        WebElement field = byId(id);
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
        byId("sign-in-submit").click();
        awaitVisible("panel-articles");

        type("filter-text", "pause fee");
        byId("filter-text").submit();
        browser.await("the pause article is listed", WAIT, () -> !browser.driver()
                .findElements(By.cssSelector("#article-rows tr[data-id='lk-pause-plan']")).isEmpty());
        browser.driver().findElement(By.cssSelector("#article-rows tr[data-id='lk-pause-plan']")).click();
        browser.await("the editor holds the article", WAIT, () -> byId("article-body").getAttribute("value").contains("pause fee of $5"));

        String edited = byId("article-body").getAttribute("value").replace("pause fee of $5 per month", "pause fee of $4 per month");
        browser.script("var body = document.getElementById('article-body'); body.value = arguments[0];"
                + " body.dispatchEvent(new Event('input'));", edited);
        browser.await("the preview shows the new fee", WAIT,
                () -> String.valueOf(byId("article-preview").getAttribute("srcdoc")).contains("$4 per month"));
        byId("article-publish").click();
        browser.await("version 2 is saved and published", WAIT,
                () -> byId("article-version").getText().equals("2") && byId("article-status").getText().equals("published"));
        browser.await("the revision list shows version 1", WAIT, () -> byId("revision-rows").getText().contains("1"));
        browser.driver().findElement(By.cssSelector("#revision-rows button")).click();
        browser.await("the diff shows the change", WAIT, () -> byId("diff").getText().contains("- Your normal monthly")
                && byId("diff").getText().contains("$4 per month"));
        browser.script("document.getElementById('editor').scrollIntoView()");
        browser.screenshot("admin-articles-editor");

        JsonNode reply = keel.say(keel.open(null), "How much is the pause fee per month?", UUID.randomUUID().toString());
        assertThat(reply.get("text").asText()).contains("$4 per month").doesNotContain("$5 per month");
    }

    @Test
    @Order(2)
    void scriptPayloadsInAnArticleNeverRunInThePreviewOrTheList() {
        String payload = "<img src=x onerror=\"window.__pwn=1\">";
        byId("article-new").click();
        type("article-id", "lk-xss-probe");
        type("article-title", "Probe " + payload);
        String body = "# Probe\n\n" + payload + "\n\n<script>window.__pwn=1</script>\n\n[click me](javascript:window.__pwn=1)\n\n"
                + "<a href=\"#\" onclick=\"window.__pwn=1\">raw link</a> ![x](https://tracker.example/p.png)\n";
        browser.script("var b = document.getElementById('article-body'); b.value = arguments[0]; b.dispatchEvent(new Event('input'));", body);
        browser.await("the preview is rendered", WAIT,
                () -> String.valueOf(byId("article-preview").getAttribute("srcdoc")).contains("<h1>Probe</h1>"));
        String srcdoc = byId("article-preview").getAttribute("srcdoc").toLowerCase();
        assertThat(srcdoc).doesNotContain("onerror", "onclick", "<script", "javascript:", "tracker.example");
        byId("article-save-draft").click();
        browser.await("the probe is saved as a draft", WAIT, () -> byId("article-status").getText().equals("draft"));
        type("filter-text", "lk-xss-probe");
        byId("filter-text").submit();
        browser.await("the probe is listed with its title as text", WAIT, () -> byId("article-rows").getText().contains("onerror"));
        // try the sandbox: clicking in the preview's links runs nothing either
        assertThat(browser.script("return typeof window.__pwn")).isEqualTo("undefined");
        assertThat(browser.script("return document.getElementById('article-preview').contentDocument")).isNull();
        assertThat(browser.driver().findElements(By.cssSelector("#article-rows img"))).isEmpty();
        assertThat(browser.requestedUrls().stream().filter(url -> url.startsWith("http")))
                .allMatch(url -> url.startsWith("http://127.0.0.1:" + keel.port() + "/"));
    }

    @Test
    @Order(3)
    void tryTheBotShowsTheDecisionAndThePassages() {
        browser.driver().findElement(By.cssSelector("button[data-tab='try']")).click();
        awaitVisible("panel-try");
        type("try-question", "How long can I pause my plan?");
        type("try-customer", "7590-VHVEG");
        byId("try-question").submit();
        awaitVisible("try-result");
        assertThat(byId("try-decision").getText()).isIn("ANSWER", "ANSWER_AND_OFFER_HUMAN");
        List<WebElement> passages = browser.driver().findElements(By.cssSelector("#try-passages li.passage"));
        assertThat(passages).isNotEmpty();
        assertThat(passages.get(0).getText()).contains("Pause your plan", "score");
        assertThat(byId("try-signals").getText()).contains("Churn risk", "Intent");
        browser.script("window.scrollTo(0, 0)");
        browser.screenshot("admin-try-the-bot");
    }

    @Test
    @Order(4)
    void theReportsDrawTheirCharts() {
        browser.driver().findElement(By.cssSelector("button[data-tab='reports']")).click();
        awaitVisible("panel-reports");
        for (String chart : List.of("chart-resolved", "chart-reasons", "chart-satisfaction", "chart-wait", "chart-churn")) {
            browser.await(chart + " is drawn", WAIT, () -> !browser.driver().findElements(By.cssSelector("#" + chart + " svg")).isEmpty());
        }
        assertThat(browser.driver().findElements(By.cssSelector("#chart-reasons svg rect"))).isNotEmpty();
        assertThat(byId("chart-reasons").getText()).contains("INTENT_HUMAN");
        assertThat(byId("chart-resolved").getText()).contains("%");
        browser.screenshot("admin-reports");
    }
}

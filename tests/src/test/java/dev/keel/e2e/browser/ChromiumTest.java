package dev.keel.e2e.browser;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The browser the other browser tests rely on: it starts, runs scripts, stays off the network and takes screenshots. */
class ChromiumTest {
    private static final String PAGE = """
            <!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><title>probe</title>
            <p id="greeting">ready</p>
            <img src="http://tracker.example/pixel.gif">
            """;

    private static HttpServer site;
    private static Chromium browser;

    @BeforeAll
    static void start() throws Exception {
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        site.createContext("/", exchange -> {
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        site.start();
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        site.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + site.getAddress().getPort() + "/";
    }

    @Test
    void loadsALocalPageAndRunsScriptsInIt() {
        browser.open(url());
        assertThat(browser.script("return document.getElementById('greeting').textContent")).isEqualTo("ready");
    }

    @Test
    void recordsRequestsToOtherHostsWhichNeverResolve() {
        browser.open(url());
        browser.await("the image request is logged", Duration.ofSeconds(10),
                () -> browser.requestedUrls().stream().anyMatch(u -> u.startsWith("http://tracker.example/")));
        assertThat(browser.script("return document.images[0].complete && document.images[0].naturalWidth"))
                .isEqualTo(0L);
    }

    @Test
    void goesOfflineAndBackOn() {
        browser.open(url());
        browser.offline(true);
        assertThat(browser.script("return fetch(location.href).then(() => 'fetched', () => 'failed')")).isEqualTo("failed");
        browser.offline(false);
        assertThat(browser.script("return fetch(location.href).then(() => 'fetched', () => 'failed')")).isEqualTo("fetched");
    }

    @Test
    void writesScreenshots() throws Exception {
        browser.open(url());
        browser.phoneViewport();
        assertThat(browser.script("return window.innerWidth")).isEqualTo(390L);
        var file = browser.screenshot("browser-probe");
        browser.desktopViewport();
        assertThat(Files.size(file)).isGreaterThan(100);
    }
}

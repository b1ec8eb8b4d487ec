package dev.keel.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.keel.kb.KnowledgeBase;
import dev.keel.server.llm.Llm;
import dev.keel.server.llm.LlmSettings;
import dev.keel.server.llm.ModelStub;
import dev.keel.server.llm.Question;
import dev.keel.server.llm.ReplyStream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * What the model tests share: the real index of the bundled articles, the real LangChain4j models
 * and Keel's transport, and WireMock standing in for the provider's HTTP API.
 */
abstract class LlmTestBase {
    static final String CHAT = "/v1/chat/completions";
    static KnowledgeBase kb;
    static WireMockServer wire;
    Llm llm;

    @BeforeAll
    static void startAll() throws Exception {
        Path root = Path.of(System.getProperty("keel.root", ".."));
        kb = KnowledgeBase.load(root.resolve("knowledge-base/articles"));
        wire = new WireMockServer(options().dynamicPort());
        wire.start();
    }

    @AfterAll
    static void stopAll() throws Exception {
        wire.stop();
        kb.close();
    }

    @BeforeEach
    void reset() {
        wire.resetAll();
    }

    @AfterEach
    void stop() throws Exception {
        if (llm != null) {
            llm.close();
        }
    }

    Llm start(String provider, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("LLM_PROVIDER", provider, "LLM_MODEL", "stub-model",
                "LLM_BASE_URL", wire.baseUrl() + (provider.equals("openai") ? "/v1" : ""), "LLM_API_KEY", "sk-test-secret",
                "LLM_FIRST_TOKEN_TIMEOUT_MS", "5000", "LLM_IDLE_TIMEOUT_MS", "5000", "LLM_TOTAL_TIMEOUT_MS", "15000"));
        env.putAll(extra);
        llm = Llm.start(LlmSettings.fromEnvironment(env), Templates.load());
        return llm;
    }

    Llm openAi() {
        return start("openai", Map.of());
    }

    static Question question(String text) {
        return new Question(text, kb.search(text, 3).hits(), false, JsonArray::new);
    }

    static void stub(ResponseDefinitionBuilder response) {
        wire.stubFor(post(urlPathEqualTo(CHAT)).willReturn(response));
    }

    static ResponseDefinitionBuilder streamed(String text) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream")
                .withBody(ModelStub.openAiStream(ModelStub.pieces(text)));
    }

    static int calls() {
        return wire.findAll(postRequestedFor(urlPathEqualTo(CHAT))).size();
    }

    static JsonArray sentMessages() {
        List<LoggedRequest> requests = wire.findAll(postRequestedFor(urlPathEqualTo(CHAT)));
        return new JsonObject(requests.get(requests.size() - 1).getBodyAsString()).getJsonArray("messages");
    }

    /** A stream that records what it was given. */
    static final class Recorder implements ReplyStream {
        final List<String> deltas = new ArrayList<>();
        final CompletableFuture<Void> gone = new CompletableFuture<>();
        Consumer<String> onDelta = text -> { };

        @Override
        public boolean live() {
            return true;
        }

        @Override
        public synchronized void delta(String text) {
            deltas.add(text);
            onDelta.accept(text);
        }

        @Override
        public CompletableFuture<Void> gone() {
            return gone;
        }

        String text() {
            return String.join("", deltas);
        }
    }

}

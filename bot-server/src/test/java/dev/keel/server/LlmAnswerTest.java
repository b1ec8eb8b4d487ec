package dev.keel.server;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.keel.server.llm.Answer;
import dev.keel.server.llm.LlmSettings;
import dev.keel.server.llm.ModelStub;
import dev.keel.server.llm.ReplyStream;
import dev.keel.server.llm.UpstreamError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Grounded, cited answers over each wire format, and every upstream failure: each case ends with
 * exactly one answer and a known number of upstream calls.
 */
class LlmAnswerTest extends LlmTestBase {
    private static final String PAUSE = "How long can I pause my plan?";
    private static final String GROUNDED = "You can pause for 15 days up to 3 months [lk-pause-plan]. "
            + "The pause fee is $5 per month [lk-made-up-article].";

    private static void assertFallback(Answer answer, String kind) {
        assertThat(answer.template()).isEqualTo("reply-answer");
        assertThat(answer.offerHuman()).isTrue();
        assertThat(answer.text()).contains("Pause your plan").contains("connect you with a person");
        assertThat(answer.reasons()).contains("LLM_FALLBACK", "LLM_" + kind);
    }

    @Test
    void streamsAGroundedAnswerCitingOnlyRetrievedArticles() {
        stub(streamed(GROUNDED));
        Recorder stream = new Recorder();
        Answer answer = openAi().answerer().answer(question(PAUSE), stream);

        assertThat(answer.template()).isEqualTo("llm-answer");
        assertThat(answer.text()).isEqualTo("You can pause for 15 days up to 3 months. The pause fee is $5 per month.");
        assertThat(answer.citations()).extracting(h -> h.articleId()).containsExactly("lk-pause-plan");
        assertThat(stream.deltas).hasSizeGreaterThan(3);
        assertThat(stream.text()).isEqualTo(answer.text());
        assertThat(calls()).isEqualTo(1);
        JsonArray messages = sentMessages();
        assertThat(messages.getJsonObject(0).getString("role")).isEqualTo("system");
        String user = messages.getJsonObject(messages.size() - 1).getString("content");
        assertThat(user).contains("<kb_passages>", "article=\"lk-pause-plan\"", "<customer_message>\n" + PAUSE);
        assertThat(llm.metrics().snapshot().getLong("tokensIn")).isEqualTo(120);
    }

    @Test
    void answersWholeOverTheNonStreamingApiForTheJsonRoute() {
        stub(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(ModelStub.openAiWhole("Pauses last from 15 days to 3 months [lk-pause-plan].")));
        Answer answer = openAi().answerer().answer(question(PAUSE), ReplyStream.NONE);
        assertThat(answer.text()).isEqualTo("Pauses last from 15 days to 3 months.");
        assertThat(new JsonObject(wire.findAll(postRequestedFor(urlPathEqualTo(CHAT))).get(0).getBodyAsString())
                .getBoolean("stream", false)).isFalse();
    }

    @Test
    void speaksOllamaChat() {
        wire.stubFor(post(urlPathEqualTo("/api/chat")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/x-ndjson")
                .withBody(ModelStub.ollamaStream(ModelStub.pieces("The longest single pause is 3 months [lk-pause-plan].")))));
        Recorder stream = new Recorder();
        Answer answer = start("ollama", Map.of()).answerer().answer(question(PAUSE), stream);
        assertThat(answer.text()).isEqualTo("The longest single pause is 3 months.");
        assertThat(answer.citations()).extracting(h -> h.articleId()).containsExactly("lk-pause-plan");
        assertThat(wire.findAll(postRequestedFor(urlPathEqualTo("/api/chat")))).hasSize(1);
    }

    @Test
    void waitsAsToldOnARateLimitThenAnswers() {
        wire.stubFor(limited().inScenario("rate").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("open")
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")
                        .withBody(ModelStub.openAiError("requests", "rate_limit_exceeded", "Rate limit reached"))));
        wire.stubFor(limited().inScenario("rate").whenScenarioStateIs("open").willReturn(streamed(GROUNDED)));
        Answer answer = openAi().answerer().answer(question(PAUSE), new Recorder());
        assertThat(answer.template()).isEqualTo("llm-answer");
        assertThat(calls()).isEqualTo(2);
        assertThat(llm.metrics().errors(UpstreamError.Kind.RATE_LIMITED)).isEqualTo(1);
    }

    private static MappingBuilder limited() {
        return post(urlPathEqualTo(CHAT));
    }

    @Test
    void neverRetriesAnExhaustedQuotaAndOpensTheBreaker() {
        stub(aResponse().withStatus(429).withBody(ModelStub.openAiError("insufficient_quota", "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details.")));
        openAi();
        assertFallback(llm.answerer().answer(question(PAUSE), new Recorder()), "QUOTA_EXHAUSTED");
        assertThat(calls()).isEqualTo(1);
        assertFallback(llm.answerer().answer(question(PAUSE), new Recorder()), "CIRCUIT_OPEN");
        assertThat(calls()).isEqualTo(1);
        assertThat(llm.metrics().errors(UpstreamError.Kind.QUOTA_EXHAUSTED)).isEqualTo(1);
    }

    @Test
    void retriesAServerErrorOnceThenFallsBack() {
        stub(aResponse().withStatus(500).withBody(ModelStub.openAiError("server_error", null, "boom")));
        assertFallback(openAi().answerer().answer(question(PAUSE), new Recorder()), "SERVER");
        assertThat(calls()).isEqualTo(2);
    }

    @Test
    void retriesAnOverloadedServerOnceThenFallsBack() {
        stub(aResponse().withStatus(503).withHeader("Retry-After", "0").withBody("overloaded"));
        assertFallback(openAi().answerer().answer(question(PAUSE), new Recorder()), "SERVER");
        assertThat(calls()).isEqualTo(2);
    }

    @Test
    void refusedKeyIsNotRetriedAndTheKeyIsNeverShown() {
        stub(aResponse().withStatus(401).withBody(ModelStub.openAiError("invalid_request_error", "invalid_api_key",
                "Incorrect API key provided: sk-test-secret")));
        Answer answer = openAi().answerer().answer(question(PAUSE), new Recorder());
        assertFallback(answer, "AUTH");
        assertThat(calls()).isEqualTo(1);
        assertThat(answer.text() + answer.reasons()).doesNotContain("sk-test");
        assertThat(LlmSettings.fromEnvironment(Map.of("LLM_API_KEY", "sk-test-secret")).toString()).doesNotContain("sk-test");
    }

    @Test
    void aStallBeforeHeadersEndsInTheFirstTokenTimeout() {
        stub(streamed(GROUNDED).withFixedDelay(6000));
        Answer answer = start("openai", Map.of("LLM_FIRST_TOKEN_TIMEOUT_MS", "300")).answerer().answer(question(PAUSE), new Recorder());
        assertFallback(answer, "FIRST_TOKEN_TIMEOUT");
        assertThat(calls()).isEqualTo(1);
        assertThat(llm.metrics().inFlight()).isZero();
    }

    @Test
    void aConnectionResetIsOneFailedCall() {
        stub(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
        assertFallback(openAi().answerer().answer(question(PAUSE), new Recorder()), "TRANSPORT");
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void aStreamBrokenAfterItsHeadersIsOneFailedCall() {
        stub(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK));
        Answer answer = openAi().answerer().answer(question(PAUSE), new Recorder());
        assertThat(answer.reasons()).contains("LLM_FALLBACK");
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void aMalformedChunkFallsBack() {
        String body = ModelStub.openAiStream(List.of("You can pause ")).replace("data: [DONE]", "data: {\"choices\": [{\"delta\": {\"content\"")
                + "\n\n";
        stub(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body));
        Answer answer = openAi().answerer().answer(question(PAUSE), new Recorder());
        assertThat(answer.reasons()).contains("LLM_FALLBACK");
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void anEmptyReplyFallsBack() {
        stub(aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(""));
        assertFallback(openAi().answerer().answer(question(PAUSE), new Recorder()), "EMPTY");
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void aStreamThatGoesQuietMidwayIsNotRetriedAndFallsBack() {
        stub(streamed(GROUNDED).withChunkedDribbleDelay(4, 8000));
        Recorder stream = new Recorder();
        Answer answer = start("openai", Map.of("LLM_FIRST_TOKEN_TIMEOUT_MS", "6000", "LLM_IDLE_TIMEOUT_MS", "500"))
                .answerer().answer(question(PAUSE), stream);
        assertFallback(answer, "IDLE_TIMEOUT");
        assertThat(stream.deltas).isNotEmpty();
        assertThat(calls()).isEqualTo(1);
    }

    @Test
    void aCustomerWhoLeavesCancelsTheCall() {
        stub(streamed(GROUNDED).withChunkedDribbleDelay(20, 20_000));
        Recorder stream = new Recorder();
        stream.onDelta = text -> stream.gone.complete(null);
        Answer answer = start("openai", Map.of("LLM_FIRST_TOKEN_TIMEOUT_MS", "6000", "LLM_IDLE_TIMEOUT_MS", "30000",
                "LLM_TOTAL_TIMEOUT_MS", "60000"))
                .answerer().answer(question(PAUSE), stream);
        assertThat(answer.reasons()).contains("LLM_CANCELLED");
        assertThat(llm.metrics().inFlight()).isZero();
        assertThat(calls()).isEqualTo(1);
    }
}

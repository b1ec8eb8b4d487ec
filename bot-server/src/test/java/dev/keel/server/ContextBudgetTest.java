package dev.keel.server;

import dev.keel.server.llm.Answer;
import dev.keel.server.llm.Question;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The memory window: the system prompt always first, the newest whole turns kept, the request within the window. */
class ContextBudgetTest extends LlmTestBase {
    private static final String PAUSE = "How long can I pause my plan?";
    private static final String REPLY = "You can pause for up to 3 months [lk-pause-plan].";

    private static JsonArray smallTalk(int turns) {
        JsonArray log = new JsonArray();
        for (int i = 1; i <= turns; i++) {
            log.add(new JsonObject().put("role", "customer").put("text", "small talk number " + i + " " + "la ".repeat(120)));
            log.add(new JsonObject().put("role", "bot").put("text", "reply number " + i + " " + "la ".repeat(120)));
        }
        return log;
    }

    private static int estimatedTokens(JsonArray messages) {
        int chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            chars += messages.getJsonObject(i).getString("content").length();
        }
        return chars / 4;
    }

    @Test
    void keepsTheSystemPromptAndTheNewestTurnsWithinTheWindow() {
        stub(streamed(REPLY));
        start("openai", Map.of("LLM_CONTEXT_TOKENS", "2048", "LLM_REPLY_TOKENS", "256"));
        JsonArray history = smallTalk(30);
        for (int turn : new int[] {1, 30}) {
            JsonArray sofar = new JsonArray(history.getList().subList(0, turn * 2));
            llm.answerer().answer(new Question(PAUSE, kb.search(PAUSE, 3).hits(), false, () -> sofar), new Recorder());
            JsonArray messages = sentMessages();
            assertThat(messages.getJsonObject(0).getString("role")).isEqualTo("system");
            assertThat(estimatedTokens(messages)).isLessThanOrEqualTo(2048 - 256);
            assertThat(messages.getJsonObject(messages.size() - 2).getString("content")).startsWith("reply number " + turn);
            for (int i = 1; i < messages.size() - 1; i++) {
                assertThat(messages.getJsonObject(i).getString("role")).isEqualTo(i % 2 == 1 ? "user" : "assistant");
            }
        }
        assertThat(sentMessages().size()).isLessThan(2 * 30);
        assertThat(sentMessages().encode()).doesNotContain("small talk number 1 ");
    }

    @Test
    void cutsAnOversizedMessageAndSaysSo() {
        stub(streamed(REPLY));
        Answer answer = start("openai", Map.of("LLM_CONTEXT_TOKENS", "1536", "LLM_REPLY_TOKENS", "128"))
                .answerer().answer(question(PAUSE + " " + "Here is my whole story. ".repeat(160)), new Recorder());
        assertThat(answer.reasons()).contains("MESSAGE_TRUNCATED");
        assertThat(answer.text()).startsWith("Your message was long");
        assertThat(estimatedTokens(sentMessages())).isLessThanOrEqualTo(1536 - 128);
    }

    @Test
    void aWindowTooSmallForThePassagesNeverCallsTheModel() {
        Answer answer = start("openai", Map.of("LLM_CONTEXT_TOKENS", "1024", "LLM_REPLY_TOKENS", "512"))
                .answerer().answer(question(PAUSE), new Recorder());
        assertThat(answer.reasons()).contains("LLM_CONTEXT_TOO_SMALL");
        assertThat(calls()).isZero();
    }
}

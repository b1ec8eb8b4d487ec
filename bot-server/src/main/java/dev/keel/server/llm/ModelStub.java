package dev.keel.server.llm;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** Response bodies in the providers' real wire formats, for a local stub of a model: the benchmark serves them, and the tests. */
public final class ModelStub {
    private ModelStub() {
    }

    /** OpenAI chat completions, streamed: one {@code data:} chunk per piece, a finish chunk, then {@code [DONE]}. */
    public static String openAiStream(List<String> pieces) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (String piece : pieces) {
            JsonObject delta = new JsonObject().put("content", piece);
            if (first) {
                delta.put("role", "assistant");
                first = false;
            }
            out.append("data: ").append(chunk(delta, null).encode()).append("\n\n");
        }
        out.append("data: ").append(chunk(new JsonObject(), "stop")
                .put("usage", new JsonObject().put("prompt_tokens", 120).put("completion_tokens", pieces.size())
                        .put("total_tokens", 120 + pieces.size())).encode()).append("\n\n");
        out.append("data: [DONE]\n\n");
        return out.toString();
    }

    private static JsonObject chunk(JsonObject delta, String finish) {
        return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk").put("created", 1_700_000_000)
                .put("model", "stub-model").put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("delta", delta).put("finish_reason", finish)));
    }

    /** OpenAI chat completions, not streamed. */
    public static String openAiWhole(String text) {
        return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion").put("created", 1_700_000_000)
                .put("model", "stub-model").put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", new JsonObject().put("role", "assistant").put("content", text))
                        .put("finish_reason", "stop")))
                .put("usage", new JsonObject().put("prompt_tokens", 120).put("completion_tokens", 9).put("total_tokens", 129))
                .encode();
    }

    /** Ollama {@code /api/chat}, streamed: one JSON object a line, the last with {@code done: true}. */
    public static String ollamaStream(List<String> pieces) {
        StringBuilder out = new StringBuilder();
        for (String piece : pieces) {
            out.append(new JsonObject().put("model", "stub-model").put("created_at", "2026-01-01T00:00:00Z")
                    .put("message", new JsonObject().put("role", "assistant").put("content", piece)).put("done", false).encode())
                    .append('\n');
        }
        out.append(new JsonObject().put("model", "stub-model").put("created_at", "2026-01-01T00:00:01Z")
                .put("message", new JsonObject().put("role", "assistant").put("content", "")).put("done", true)
                .put("done_reason", "stop").put("prompt_eval_count", 120).put("eval_count", pieces.size()).encode()).append('\n');
        return out.toString();
    }

    /** An OpenAI error body. */
    public static String openAiError(String type, String code, String message) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type)
                .put("param", (String) null).put("code", code)).encode();
    }

    /** Splits a reply into word-sized pieces, as a model streams it. */
    public static List<String> pieces(String text) {
        return List.of(text.split("(?<= )"));
    }
}

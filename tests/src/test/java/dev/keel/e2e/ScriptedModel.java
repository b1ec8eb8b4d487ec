package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A language model behind an OpenAI-compatible chat-completions route on the loopback address,
 * whose every reply carries markup meant to run in whatever page shows it: the bot's answers, the
 * agents' draft replies and the hand-off summaries. It cites the first article of the passages it
 * was given, so that the replies pass Keel's grounding checks and reach the pages.
 */
final class ScriptedModel implements AutoCloseable {
    static final String ANSWER = "Here is what the article says <img src=x onerror=\"window.__pwn='model'\">"
            + "<script>window.__pwn='model'</script> **in short**.";
    static final String DRAFT = "You can sort this out in My Larkspur <svg onload=\"window.__pwn='draft'\"></svg>,"
            + " and I can walk you through it.";
    static final String SUMMARY = "The customer asked for help <img src=x onerror=\"window.__pwn='summary'\"> and then for a person.";

    private static final Pattern PASSAGE = Pattern.compile("<passage article=\"([^\"]+)\"");
    private final HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();

    private ScriptedModel(HttpServer server) {
        this.server = server;
    }

    static ScriptedModel start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ScriptedModel model = new ScriptedModel(server);
        server.createContext("/v1/chat/completions", model::answer);
        server.start();
        return model;
    }

    /** The base URL to give Keel as {@code LLM_BASE_URL}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int calls() {
        return calls.get();
    }

    private void answer(HttpExchange exchange) throws IOException {
        calls.incrementAndGet();
        JsonNode request = KeelProcess.JSON.readTree(exchange.getRequestBody());
        StringBuilder prompt = new StringBuilder();
        request.path("messages").forEach(m -> prompt.append(m.path("content").asText()).append('\n'));
        String text = prompt.indexOf("Summarise this support conversation") >= 0 ? SUMMARY
                : prompt.indexOf("Draft the next reply") >= 0 ? DRAFT + cite(prompt) : ANSWER + cite(prompt);
        boolean streamed = request.path("stream").asBoolean(false);
        byte[] body = (streamed ? stream(text) : whole(text)).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", streamed ? "text/event-stream" : "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static String cite(CharSequence prompt) {
        Matcher first = PASSAGE.matcher(prompt);
        return first.find() ? " [" + first.group(1) + "]" : "";
    }

    private static String whole(String text) {
        ObjectNode reply = KeelProcess.JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion")
                .put("created", 1_700_000_000).put("model", "scripted");
        ObjectNode choice = reply.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", text);
        reply.putObject("usage").put("prompt_tokens", 100).put("completion_tokens", 20).put("total_tokens", 120);
        return reply.toString();
    }

    /** The reply a word at a time, as a model streams it, then the finish chunk and {@code [DONE]}. */
    private static String stream(String text) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (String piece : text.split("(?<= )")) {
            ObjectNode delta = KeelProcess.JSON.createObjectNode().put("content", piece);
            if (first) {
                delta.put("role", "assistant");
                first = false;
            }
            out.append("data: ").append(chunk(delta, null)).append("\n\n");
        }
        out.append("data: ").append(chunk(KeelProcess.JSON.createObjectNode(), "stop")).append("\n\n");
        out.append("data: [DONE]\n\n");
        return out.toString();
    }

    private static String chunk(ObjectNode delta, String finish) {
        ObjectNode chunk = KeelProcess.JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
                .put("created", 1_700_000_000).put("model", "scripted");
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.set("delta", delta);
        choice.put("finish_reason", finish);
        return chunk.toString();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

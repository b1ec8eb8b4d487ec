package dev.keel.server;

import dev.keel.server.llm.PromptTemplates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reply templates of the {@code prompts} module: plain text with named {@code {placeholders}},
 * loaded and checked once at start-up so that a broken template stops Keel from starting rather
 * than producing a broken reply later.
 */
final class Templates implements PromptTemplates {
    /** Each template Keel uses, with the placeholders it must contain. */
    static final Map<String, Set<String>> REQUIRED = Map.ofEntries(
            Map.entry("reply-answer", Set.of("title", "passage")),
            Map.entry("reply-not-covered", Set.of()),
            Map.entry("reply-rephrase", Set.of()),
            Map.entry("reply-off-topic", Set.of()),
            Map.entry("reply-offer-human", Set.of()),
            Map.entry("reply-sign-in", Set.of()),
            Map.entry("reply-handoff", Set.of("position", "wait")),
            Map.entry("reply-handoff-unstaffed", Set.of("why")),
            Map.entry("notice-agent-joined", Set.of("agent")),
            Map.entry("notice-back-to-bot", Set.of()),
            Map.entry("notice-requeued", Set.of("position", "wait")),
            Map.entry("notice-resolved", Set.of()),
            Map.entry("notice-follow-up", Set.of("contact")),
            Map.entry("llm-system", Set.of("canary")),
            Map.entry("llm-answer", Set.of("passages", "question")),
            Map.entry("reply-self-description", Set.of()),
            Map.entry("reply-truncated", Set.of()),
            Map.entry("agent-handoff-summary", Set.of("reasons", "transcript")),
            Map.entry("agent-suggested-reply", Set.of("passages", "transcript")));
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-zA-Z][a-zA-Z0-9_]*)}");

    private final Map<String, String> texts;
    private final Map<String, String> versions;

    private Templates(Map<String, String> texts, Map<String, String> versions) {
        this.texts = texts;
        this.versions = versions;
    }

    static Templates load() {
        Map<String, String> texts = new LinkedHashMap<>();
        Map<String, String> versions = new LinkedHashMap<>();
        for (Map.Entry<String, Set<String>> entry : REQUIRED.entrySet()) {
            String name = entry.getKey();
            String text = read(name);
            for (String placeholder : entry.getValue()) {
                if (!text.contains("{" + placeholder + "}")) {
                    throw new IllegalStateException("template '" + name + "' lacks the placeholder {" + placeholder + "}");
                }
            }
            Matcher m = PLACEHOLDER.matcher(text);
            while (m.find()) {
                if (!entry.getValue().contains(m.group(1))) {
                    throw new IllegalStateException("template '" + name + "' has an unknown placeholder {" + m.group(1) + "}");
                }
            }
            texts.put(name, text);
            versions.put(name, name + "@" + digest(text));
        }
        return new Templates(texts, versions);
    }

    /** Fills a template. Values are inserted literally; they are never read as templates themselves. */
    @Override
    public String render(String name, Map<String, String> values) {
        String text = texts.get(name);
        if (text == null) {
            throw new IllegalArgumentException("no template named " + name);
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")));
        }
        m.appendTail(out);
        return out.toString().strip();
    }

    String render(String name) {
        return render(name, Map.of());
    }

    /** The template's name with a digest of its text, recorded with each reply it produced. */
    @Override
    public String version(String name) {
        return versions.get(name);
    }

    /** Every template, by name: its version, the placeholders it takes and its text (for the admin console, read-only). */
    JsonArray describe() {
        JsonArray out = new JsonArray();
        texts.keySet().stream().sorted().forEach(name -> out.add(new JsonObject().put("name", name)
                .put("version", versions.get(name))
                .put("placeholders", new JsonArray(REQUIRED.get(name).stream().sorted().toList()))
                .put("text", texts.get(name))));
        return out;
    }

    private static String read(String name) {
        String resource = "keel/prompts/" + name + ".txt";
        try (InputStream in = Templates.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("template '" + name + "' not found (" + resource + ")");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("template '" + name + "' could not be read", e);
        }
    }

    private static String digest(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

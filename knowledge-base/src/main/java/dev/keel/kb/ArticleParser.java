package dev.keel.kb;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reads an article file: YAML front matter between {@code ---} lines, then Markdown. */
public final class ArticleParser {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ArticleParser() {
    }

    /**
     * Parses one article.
     *
     * @param source where the text came from, used in error messages
     * @throws IllegalArgumentException when the front matter is missing, malformed or lacks id or title
     */
    public static Article parse(String source, String text) {
        return parseVersioned(source, text).article();
    }

    /** An article with the store's revision number of its file (1 when the file has none). */
    public record Versioned(Article article, int version) {
    }

    /** Parses one article and the optional front matter field {@code version}. */
    public static Versioned parseVersioned(String source, String text) {
        String normalized = text.replace("\r\n", "\n");
        if (normalized.startsWith("\uFEFF")) {
            normalized = normalized.substring(1);
        }
        if (!normalized.startsWith("---\n")) {
            throw new IllegalArgumentException(source + ": missing front matter (the file must start with ---)");
        }
        int end = normalized.indexOf("\n---", 3);
        if (end < 0) {
            throw new IllegalArgumentException(source + ": front matter is not closed with ---");
        }
        String header = normalized.substring(4, end);
        int bodyStart = normalized.indexOf('\n', end + 1);
        String body = bodyStart < 0 ? "" : normalized.substring(bodyStart + 1).strip();
        JsonNode meta;
        try {
            meta = YAML.readTree(header);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": front matter is not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": front matter could not be read: " + e.getMessage());
        }
        if (meta == null || !meta.isObject()) {
            throw new IllegalArgumentException(source + ": front matter must be a map of fields");
        }
        String id = text(meta, "id");
        String title = text(meta, "title");
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(source + ": front matter field 'id' is required");
        }
        if (title == null || title.isBlank()) {
            throw new IllegalArgumentException(source + ": front matter field 'title' is required");
        }
        List<String> tags = new ArrayList<>();
        JsonNode tagNode = meta.get("tags");
        if (tagNode != null && tagNode.isArray()) {
            tagNode.forEach(t -> tags.add(t.asText()));
        } else if (tagNode != null && tagNode.isTextual()) {
            for (String t : tagNode.asText().split(",")) {
                if (!t.isBlank()) {
                    tags.add(t.strip());
                }
            }
        }
        Article.Status status;
        try {
            status = Article.Status.parse(text(meta, "status"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": front matter field 'status': " + e.getMessage());
        }
        JsonNode version = meta.get("version");
        int revision = version != null && version.canConvertToInt() && version.asInt() > 0 ? version.asInt() : 1;
        return new Versioned(new Article(id.strip(), title.strip(), text(meta, "locale"), tags, text(meta, "url"), status, body),
                revision);
    }

    private static String text(JsonNode meta, String field) {
        JsonNode node = meta.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}

package dev.keel.kb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/** Writes an article in the file format {@link ArticleParser} reads: YAML front matter, then Markdown. */
public final class ArticleWriter {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private ArticleWriter() {
    }

    /**
     * @param version the store's revision number of this text, written as front matter field {@code version}
     */
    public static String write(Article article, int version) {
        ObjectNode meta = YAML.createObjectNode();
        meta.put("id", article.id());
        meta.put("title", article.title());
        meta.put("locale", article.locale());
        if (!article.tags().isEmpty()) {
            article.tags().forEach(meta.putArray("tags")::add);
        }
        if (article.url() != null) {
            meta.put("url", article.url());
        }
        meta.put("status", article.status().label());
        meta.put("version", version);
        try {
            return "---\n" + YAML.writeValueAsString(meta) + "---\n\n" + article.body().strip() + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("front matter could not be written", e);
        }
    }
}

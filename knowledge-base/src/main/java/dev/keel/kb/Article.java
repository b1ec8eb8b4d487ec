package dev.keel.kb;

import java.util.List;
import java.util.Objects;

/**
 * One knowledge-base article: front matter plus a Markdown body.
 *
 * @param id     stable identifier, used in citations
 * @param title  human title, shown in citations
 * @param locale language tag such as {@code en}
 * @param tags   free-form labels
 * @param url    optional public address of the article, may be null
 * @param body   Markdown body without the front matter
 */
public record Article(String id, String title, String locale, List<String> tags, String url, String body) {
    public Article {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        locale = locale == null || locale.isBlank() ? "en" : locale;
        tags = tags == null ? List.of() : List.copyOf(tags);
        body = body == null ? "" : body;
    }
}

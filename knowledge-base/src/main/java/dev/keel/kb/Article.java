package dev.keel.kb;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One knowledge-base article: front matter plus a Markdown body.
 *
 * @param id     stable identifier, used in citations
 * @param title  human title, shown in citations
 * @param locale language tag such as {@code en}; chooses the analyzer
 * @param tags   free-form labels
 * @param url    optional public address of the article, may be null
 * @param status only published articles are searched; drafts wait in the store
 * @param body   Markdown body without the front matter
 */
public record Article(String id, String title, String locale, List<String> tags, String url, Status status, String body) {
    /** Whether customers can find the article. */
    public enum Status {
        DRAFT, PUBLISHED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Reads {@code draft} or {@code published}; null means published, as for a plain folder of articles. */
        public static Status parse(String value) {
            if (value == null || value.isBlank()) {
                return PUBLISHED;
            }
            for (Status s : values()) {
                if (s.label().equals(value.strip().toLowerCase(Locale.ROOT))) {
                    return s;
                }
            }
            throw new IllegalArgumentException("status must be draft or published, not '" + value + "'");
        }
    }

    public Article {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        locale = locale == null || locale.isBlank() ? "en" : locale;
        tags = tags == null ? List.of() : List.copyOf(tags);
        status = status == null ? Status.PUBLISHED : status;
        body = body == null ? "" : body;
    }

    /** A published article. */
    public Article(String id, String title, String locale, List<String> tags, String url, String body) {
        this(id, title, locale, tags, url, Status.PUBLISHED, body);
    }

    public boolean published() {
        return status == Status.PUBLISHED;
    }

    public Article withStatus(Status newStatus) {
        return new Article(id, title, locale, tags, url, newStatus, body);
    }
}

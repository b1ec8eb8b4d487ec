package dev.keel.kb;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** What the store accepts as an article: ids that are safe file names, bounded sizes, real URLs. */
public final class ArticleRules {
    /** Letters, digits, dot, dash, underscore; it becomes a file name, so no slashes and no leading dot. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*");
    static final int MAX_TITLE = 300;
    static final int MAX_TAGS = 50;
    static final int MAX_TAG = 64;
    static final int MAX_BODY = 200_000;

    private ArticleRules() {
    }

    /** @throws InvalidArticleException naming the first field that is wrong */
    public static Article check(Article a) {
        if (!ID.matcher(a.id()).matches()) {
            throw new InvalidArticleException("id", "use 1 to 128 letters, digits, '.', '-' or '_', starting with a letter or digit");
        }
        if (a.title().isBlank() || a.title().length() > MAX_TITLE) {
            throw new InvalidArticleException("title", "must have 1 to " + MAX_TITLE + " characters");
        }
        if (!LOCALE.matcher(a.locale()).matches()) {
            throw new InvalidArticleException("locale", "must be a language tag such as en, en-GB, ja or zh-Hant");
        }
        if (a.tags().size() > MAX_TAGS || a.tags().stream().anyMatch(t -> t.isBlank() || t.length() > MAX_TAG)) {
            throw new InvalidArticleException("tags", "at most " + MAX_TAGS + " tags of 1 to " + MAX_TAG + " characters each");
        }
        if (a.url() != null && !isHttpUrl(a.url())) {
            throw new InvalidArticleException("url", "must be an absolute http or https URL");
        }
        if (a.body().length() > MAX_BODY) {
            throw new InvalidArticleException("body", "must have at most " + MAX_BODY + " characters");
        }
        return a;
    }

    private static boolean isHttpUrl(String url) {
        try {
            URI uri = new URI(url);
            return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme())) && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}

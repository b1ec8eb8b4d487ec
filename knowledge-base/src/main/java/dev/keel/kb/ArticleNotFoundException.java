package dev.keel.kb;

/** No article (or no revision) with that id. */
public final class ArticleNotFoundException extends RuntimeException {
    public ArticleNotFoundException(String id) {
        super("no article with the id '" + id + "'");
    }
}

package dev.keel.kb;

/** An article field has a value the store does not accept; names the field so an editor can fix it. */
public final class InvalidArticleException extends IllegalArgumentException {
    private final String field;

    public InvalidArticleException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}

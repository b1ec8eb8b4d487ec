package dev.keel.churn;

/**
 * A customer record does not fit the model's feature schema: a missing or unknown column, a cell that is not a
 * number in a numeric column, or a category the model never saw. The message names the column.
 */
public final class SchemaMismatchException extends IllegalArgumentException {
    private final String column;

    SchemaMismatchException(String column, String message) {
        super(message);
        this.column = column;
    }

    /** The column that does not fit. */
    public String column() {
        return column;
    }
}

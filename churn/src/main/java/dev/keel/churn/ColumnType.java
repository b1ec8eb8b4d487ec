package dev.keel.churn;

import java.util.Locale;

/** How a feature column is read: as a number or as a category. */
public enum ColumnType {
    NUMERIC, CATEGORICAL;

    /** Parses {@code numeric} or {@code categorical} (any case). */
    public static ColumnType parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column type must be numeric or categorical, not '" + text + "'");
        }
    }

    String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}

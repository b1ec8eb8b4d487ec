package dev.keel.churn;

/**
 * A factor in short form, for storing many scores compactly: {@link ChurnModel#factor} puts it back into words.
 *
 * @param column       the column's position among {@link ChurnModel#columns()}
 * @param cell         the customer's cell in short form: "" when blank, the number in a numeric column, the index of
 *                     the category in a categorical one (only digits, a sign, '.' and 'e' ever appear)
 * @param contribution the column's contribution to the churn log-odds, as in {@link Factor#contribution()}
 */
public record FactorCode(int column, String cell, double contribution) {}

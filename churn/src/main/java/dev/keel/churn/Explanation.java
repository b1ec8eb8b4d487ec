package dev.keel.churn;

import java.util.List;

/**
 * A customer's score with every column's contribution to it.
 *
 * @param score   the score, with its top raising and lowering factors
 * @param factors one factor per model column, strongest (by absolute contribution) first
 */
public record Explanation(ChurnScore score, List<Factor> factors) {
    public Explanation {
        factors = List.copyOf(factors);
    }
}

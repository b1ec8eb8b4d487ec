package dev.keel.churn;

import java.util.List;

/**
 * The churn risk of one customer.
 *
 * @param probability  probability of churn in [0, 1], never NaN
 * @param band         risk band derived from the model's thresholds
 * @param factors      up to three factors that raise the risk, strongest first, then up to two that lower it
 * @param modelVersion version of the model that produced the score
 */
public record ChurnScore(double probability, RiskBand band, List<Factor> factors, String modelVersion) {
    public ChurnScore {
        factors = List.copyOf(factors);
    }
}

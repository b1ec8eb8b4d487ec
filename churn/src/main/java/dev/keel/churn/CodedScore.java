package dev.keel.churn;

import java.util.List;

/**
 * A {@link ChurnScore} whose factors are in short form ({@link FactorCode}), as {@link ChurnModel#scoreCoded}
 * gives them: the same probability, band and factors, without putting the factors into words.
 *
 * @param probability probability of churn in [0, 1]
 * @param band        risk band
 * @param factors     up to three factors that raise the risk, strongest first, then up to two that lower it
 */
public record CodedScore(double probability, RiskBand band, List<FactorCode> factors) {
    public CodedScore {
        factors = List.copyOf(factors);
    }
}

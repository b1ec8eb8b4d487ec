package dev.keel.churn;

/**
 * Probability cuts of the risk bands: at or above {@code high} is {@link RiskBand#HIGH}, at or above {@code medium}
 * is {@link RiskBand#MEDIUM}, below is {@link RiskBand#LOW}.
 */
public record BandThresholds(double high, double medium) {
    public BandThresholds {
        if (!(medium >= 0.0 && medium <= high && high <= 1.0)) {
            throw new IllegalArgumentException("band thresholds need 0 <= medium <= high <= 1, got medium=" + medium
                    + " high=" + high);
        }
    }

    RiskBand band(double probability) {
        if (!Double.isFinite(probability)) {
            return RiskBand.UNKNOWN;
        }
        return probability >= high ? RiskBand.HIGH : probability >= medium ? RiskBand.MEDIUM : RiskBand.LOW;
    }
}

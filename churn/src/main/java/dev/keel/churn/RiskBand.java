package dev.keel.churn;

/**
 * Coarse churn-risk band shown to support agents.
 *
 * <ul>
 *   <li>{@link #HIGH}: probability at or above the model's {@link ChurnModel#highThreshold()}.</li>
 *   <li>{@link #MEDIUM}: probability at or above {@link ChurnModel#mediumThreshold()} (the base churn rate).</li>
 *   <li>{@link #LOW}: below both thresholds.</li>
 *   <li>{@link #UNKNOWN}: the record carried no usable value for any model column, so the score is only the
 *   population baseline.</li>
 * </ul>
 */
public enum RiskBand { LOW, MEDIUM, HIGH, UNKNOWN }

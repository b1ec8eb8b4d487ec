package dev.keel.churn;

/**
 * One reason behind a churn score.
 *
 * @param feature      the model feature, e.g. {@code Contract=Month-to-month}, {@code tenure} or
 *                     {@code TotalCharges#missing}
 * @param description  the same fact in words a support agent understands, e.g. "month-to-month contract"
 * @param contribution the feature's contribution to the churn log-odds; a positive value raises the risk
 */
public record Factor(String feature, String description, double contribution) {}

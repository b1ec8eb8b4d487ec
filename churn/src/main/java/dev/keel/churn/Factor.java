package dev.keel.churn;

/**
 * One reason behind a churn score.
 *
 * @param feature      the customer-table column, e.g. {@code Contract} or {@code tenure}
 * @param description  the customer's value in words a support agent understands, e.g. "month-to-month contract"
 * @param contribution the column's contribution to the churn log-odds relative to the average customer; a
 *                     positive value raises the risk, a negative one lowers it
 */
public record Factor(String feature, String description, double contribution) {}

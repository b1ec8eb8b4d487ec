package dev.keel.server;

import dev.keel.churn.CustomerTable;

import java.util.OptionalDouble;

/**
 * What a customer is worth to the business, for the queue and for retention offers: the monthly
 * charge from the customer table, when the table has one.
 */
interface CustomerValue {
    String COLUMN = "MonthlyCharges";

    OptionalDouble monthlyCharges(String customerId);

    /** The value column of the table, or nothing for a table without it or a customer not in it. */
    static CustomerValue of(CustomerTable table) {
        return customerId -> {
            if (customerId == null) {
                return OptionalDouble.empty();
            }
            String value = table.record(customerId).map(r -> r.get(COLUMN)).orElse(null);
            try {
                return value == null || value.isBlank() ? OptionalDouble.empty() : OptionalDouble.of(Double.parseDouble(value.strip()));
            } catch (NumberFormatException e) {
                return OptionalDouble.empty();
            }
        };
    }
}

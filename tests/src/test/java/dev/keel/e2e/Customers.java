package dev.keel.e2e;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/** Picks customers from a Telco customer table, to open conversations as a known customer. */
final class Customers {
    private Customers() {
    }

    /** The id of the first customer of the table that matches. */
    static String find(Path table, Predicate<CSVRecord> wanted) throws Exception {
        try (Reader in = Files.newBufferedReader(table)) {
            for (CSVRecord record : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in)) {
                if (wanted.test(record)) {
                    return record.get("customerID");
                }
            }
        }
        throw new IllegalStateException("no such customer in " + table);
    }

    /** A customer the churn model puts in the high band: new, month to month, fibre, electronic cheque. */
    static String highRisk(Path table) throws Exception {
        return find(table, r -> r.get("Contract").equals("Month-to-month") && Integer.parseInt(r.get("tenure")) <= 2
                && r.get("InternetService").equals("Fiber optic") && r.get("PaymentMethod").equals("Electronic check")
                && r.get("Churn").equals("Yes"));
    }

    /** A customer the churn model puts in the low band: a long two-year contract, no fibre. */
    static String lowRisk(Path table) throws Exception {
        return find(table, r -> r.get("Contract").equals("Two year") && Integer.parseInt(r.get("tenure")) >= 60
                && r.get("Churn").equals("No") && !r.get("InternetService").equals("Fiber optic"));
    }
}

package dev.keel.churn;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * Puts a feature of a customer record into words a support agent understands.
 *
 * <p>Columns of the IBM Telco table get tailored phrases ("month-to-month contract", "tenure 2 months",
 * "pays by electronic check", "fiber optic internet", "monthly charges $95.20"); column names are matched
 * case-insensitively. Any other column falls back to {@code "<column>: <value>"} ({@code "<column>: not recorded"}
 * for a blank cell).
 */
final class FactorDescriber {

    private FactorDescriber() {
    }

    /** Describes a customer's cell of a model column ({@code type} null for a column the model does not use). */
    static String describe(String column, String cell, ColumnType type) {
        FeatureEncoder.Kind kind = FeatureEncoder.isBlank(cell) ? FeatureEncoder.Kind.MISSING
                : type == ColumnType.NUMERIC ? FeatureEncoder.Kind.NUMERIC : FeatureEncoder.Kind.CATEGORY;
        return describe(new FeatureEncoder.EncodedFeature(column, 0.0, column, cell, kind));
    }

    static String describe(FeatureEncoder.EncodedFeature f) {
        String column = f.column();
        String key = column.toLowerCase(Locale.ROOT);
        if (f.kind() == FeatureEncoder.Kind.MISSING) {
            return switch (key) {
                case "totalcharges" -> "no charges billed yet";
                case "tenure" -> "tenure not recorded";
                default -> column + ": not recorded";
            };
        }
        String raw = f.rawCell() == null ? "" : f.rawCell().trim();
        if (f.kind() == FeatureEncoder.Kind.NUMERIC) {
            Double x = FeatureEncoder.parseNumber(raw);
            String plain = x == null ? raw : plain(x);
            return switch (key) {
                case "tenure" -> "tenure " + plain + (x != null && x == 1.0 ? " month" : " months");
                case "monthlycharges" -> "monthly charges " + money(x, raw);
                case "totalcharges" -> "total charges " + money(x, raw);
                case "seniorcitizen" -> x != null && x != 0.0 ? "senior citizen" : "not a senior citizen";
                default -> column + ": " + plain;
            };
        }
        String v = raw;
        String lv = v.toLowerCase(Locale.ROOT);
        boolean yes = lv.equals("yes");
        boolean no = lv.equals("no");
        boolean noInternet = lv.equals("no internet service");
        return switch (key) {
            case "contract" -> switch (lv) {
                case "month-to-month" -> "month-to-month contract";
                case "one year" -> "one-year contract";
                case "two year" -> "two-year contract";
                default -> lv + " contract";
            };
            case "paymentmethod" -> "pays by " + lv;
            case "internetservice" -> switch (lv) {
                case "fiber optic" -> "fiber optic internet";
                case "dsl" -> "DSL internet";
                case "no" -> "no internet service";
                default -> lv + " internet";
            };
            case "onlinesecurity" -> addOn(yes, no, noInternet, "online security", v);
            case "onlinebackup" -> addOn(yes, no, noInternet, "online backup", v);
            case "deviceprotection" -> addOn(yes, no, noInternet, "device protection", v);
            case "techsupport" -> addOn(yes, no, noInternet, "tech support", v);
            case "streamingtv" -> yes ? "streams TV" : no ? "does not stream TV"
                    : noInternet ? "no internet service" : column + ": " + v;
            case "streamingmovies" -> yes ? "streams movies" : no ? "does not stream movies"
                    : noInternet ? "no internet service" : column + ": " + v;
            case "paperlessbilling" -> yes ? "paperless billing" : no ? "paper billing" : column + ": " + v;
            case "partner" -> yes ? "has a partner" : no ? "no partner" : column + ": " + v;
            case "dependents" -> yes ? "has dependents" : no ? "no dependents" : column + ": " + v;
            case "phoneservice" -> yes ? "has phone service" : no ? "no phone service" : column + ": " + v;
            case "multiplelines" -> yes ? "multiple phone lines" : no ? "single phone line"
                    : lv.equals("no phone service") ? "no phone service" : column + ": " + v;
            case "seniorcitizen" -> yes || lv.equals("1") ? "senior citizen"
                    : no || lv.equals("0") ? "not a senior citizen" : column + ": " + v;
            case "gender" -> "gender: " + lv;
            default -> column + ": " + v;
        };
    }

    private static String addOn(boolean yes, boolean no, boolean noInternet, String what, String raw) {
        if (yes) {
            return "has " + what;
        }
        if (no) {
            return "no " + what;
        }
        if (noInternet) {
            return "no internet service";
        }
        return what + ": " + raw;
    }

    private static String plain(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }

    private static String money(Double x, String raw) {
        return x == null ? raw : String.format(Locale.ROOT, "$%,.2f", x);
    }
}

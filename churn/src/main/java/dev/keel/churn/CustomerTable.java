package dev.keel.churn;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable customer table read from a CSV file with a header row.
 *
 * <p>One column identifies the customer, one holds the label; every other column is a feature column. Cells are
 * kept exactly as they appear in the file (no trimming), so a blank {@code " "} cell stays {@code " "}. A row is
 * labelled positive (churned) when its trimmed label cell equals {@code positiveValue} (case-sensitive); any other
 * non-blank value is negative. Blank labels, duplicate ids, blank ids and rows whose cell count differs from the
 * header are rejected with an {@link IOException} naming the line.
 */
public final class CustomerTable {

    private final Path source;
    private final String idColumn;
    private final String labelColumn;
    private final String positiveValue;
    private final List<String> columns;
    private final List<String> ids;
    private final Map<String, Map<String, String>> records;
    private final Map<String, Boolean> labels;
    private final String fingerprint;

    private CustomerTable(Path source, String idColumn, String labelColumn, String positiveValue,
                          List<String> columns, List<String> ids, Map<String, Map<String, String>> records,
                          Map<String, Boolean> labels, String fingerprint) {
        this.source = source;
        this.idColumn = idColumn;
        this.labelColumn = labelColumn;
        this.positiveValue = positiveValue;
        this.columns = List.copyOf(columns);
        this.ids = List.copyOf(ids);
        this.records = Collections.unmodifiableMap(records);
        this.labels = Collections.unmodifiableMap(labels);
        this.fingerprint = fingerprint;
    }

    /**
     * Reads a UTF-8 CSV file (a leading byte-order mark is ignored).
     *
     * @param csv           the file
     * @param idColumn      header of the customer-id column
     * @param labelColumn   header of the label column
     * @param positiveValue label value that means "churned", e.g. {@code Yes}
     * @return the table
     * @throws IOException if the file cannot be read, is not valid UTF-8, or breaks one of the rules above
     */
    public static CustomerTable load(Path csv, String idColumn, String labelColumn, String positiveValue)
            throws IOException {
        requireText(labelColumn, "labelColumn");
        requireText(positiveValue, "positiveValue");
        return read(csv, idColumn, labelColumn, positiveValue, true);
    }

    /**
     * Reads customers to score: no label is needed. When the file has a column named {@code labelColumn} (as a
     * training table does) it is left out of the records, and read as the label when {@code positiveValue} is given.
     */
    public static CustomerTable loadForScoring(Path csv, String idColumn, String labelColumn, String positiveValue)
            throws IOException {
        return read(csv, idColumn, labelColumn, positiveValue, false);
    }

    private static CustomerTable read(Path csv, String idColumn, String labelColumn, String positiveValue,
                                      boolean labelRequired) throws IOException {
        requireText(idColumn, "idColumn");
        if (idColumn.equals(labelColumn)) {
            throw new IllegalArgumentException("idColumn and labelColumn must differ: " + idColumn);
        }
        byte[] bytes = Files.readAllBytes(csv);
        String text = decodeUtf8(bytes, csv);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String positive = positiveValue == null ? null : positiveValue.trim();

        CSVFormat format = CSVFormat.DEFAULT.builder()
                .setHeader()
                .setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true)
                .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
                .build();
        try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
            List<String> header = parser.getHeaderNames();
            boolean labelled = positiveValue != null && header.contains(labelColumn);
            if (!header.contains(idColumn)) {
                throw new IOException(csv + ": id column '" + idColumn + "' not in header " + header);
            }
            if (labelRequired && !header.contains(labelColumn)) {
                throw new IOException(csv + ": label column '" + labelColumn + "' not in header " + header);
            }
            List<String> columns = new ArrayList<>();
            for (String h : header) {
                if (h.isBlank()) {
                    throw new IOException(csv + ": header has a blank column name");
                }
                if (!h.equals(idColumn) && !h.equals(labelColumn)) {
                    columns.add(h);
                }
            }
            List<String> ids = new ArrayList<>();
            Map<String, Map<String, String>> records = new LinkedHashMap<>();
            Map<String, Boolean> labels = new LinkedHashMap<>();
            for (CSVRecord row : parser) {
                long line = row.getParser().getCurrentLineNumber();
                if (row.size() != header.size()) {
                    throw new IOException(csv + ": line " + line + " has " + row.size() + " cells, header has "
                            + header.size());
                }
                String id = row.get(idColumn).trim();
                if (id.isEmpty()) {
                    throw new IOException(csv + ": line " + line + " has a blank " + idColumn);
                }
                String label = labelled ? row.get(labelColumn).trim() : null;
                if (labelled && label.isEmpty()) {
                    throw new IOException(csv + ": line " + line + " has a blank " + labelColumn + " for " + id);
                }
                if (records.containsKey(id)) {
                    throw new IOException(csv + ": line " + line + " repeats " + idColumn + " " + id);
                }
                Map<String, String> record = new LinkedHashMap<>();
                for (String c : columns) {
                    record.put(c, row.get(c));
                }
                ids.add(id);
                records.put(id, Collections.unmodifiableMap(record));
                if (labelled) {
                    labels.put(id, label.equals(positive));
                }
            }
            return new CustomerTable(csv, idColumn, labelColumn, labelled ? positive : null, columns, ids, records,
                    labels, sha256Hex(bytes));
        } catch (UncheckedIOException e) {
            throw new IOException(csv + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IllegalArgumentException | IllegalStateException e) {
            // commons-csv reports malformed quoting and duplicate headers this way
            throw new IOException(csv + ": malformed CSV: " + e.getMessage(), e);
        }
    }

    /** Feature columns in header order (neither the id nor the label column). */
    public List<String> columns() {
        return columns;
    }

    /** Customer ids in file order. */
    public List<String> ids() {
        return ids;
    }

    /** Raw cells of one customer by column name, without the id and label columns. */
    public Optional<Map<String, String>> record(String id) {
        return Optional.ofNullable(records.get(id));
    }

    /** Whether the customer churned ({@code true} when the label equals the positive value); empty unlabelled. */
    public Optional<Boolean> label(String id) {
        return Optional.ofNullable(labels.get(id));
    }

    /** Number of customers. */
    public int size() {
        return ids.size();
    }

    /** SHA-256 of the file's bytes, lower-case hex. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Header of the id column. */
    public String idColumn() {
        return idColumn;
    }

    /** Header of the label column. */
    public String labelColumn() {
        return labelColumn;
    }

    /** The label value that counts as churned; null for a table read {@link #loadForScoring for scoring}. */
    public String positiveValue() {
        return positiveValue;
    }

    /** Number of churned customers. */
    public int positiveCount() {
        int n = 0;
        for (boolean b : labels.values()) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    /** The file the table was read from. */
    public Path source() {
        return source;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static String decodeUtf8(byte[] bytes, Path csv) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IOException(csv + ": not valid UTF-8", e);
        }
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }
}

package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One message with its label, as read from a JSONL evaluation or training file.
 *
 * @param text  the customer's message
 * @param label the class, e.g. an intent name or {@code true}/{@code false} for frustration
 */
record LabelledText(String text, String label) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads {@code {"text": ..., field: ...}} lines; a line without both fails with its number. */
    static List<LabelledText> read(Path file, String labelField) {
        List<LabelledText> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = JSON.readTree(line);
                JsonNode text = node.get("text");
                JsonNode label = node.get(labelField);
                if (text == null || label == null || !text.isTextual()) {
                    throw new IllegalArgumentException(file + " line " + number + ": needs \"text\" and \"" + labelField + "\"");
                }
                out.add(new LabelledText(text.asText(), label.asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    /** A train and a held-out part. */
    record Split(List<LabelledText> train, List<LabelledText> test) {
    }

    /**
     * A stratified split: each label keeps its share in both parts, so a rare class is always
     * present in the held-out part. The same seed gives the same split.
     */
    static Split split(List<LabelledText> all, double testShare, long seed) {
        Map<String, List<LabelledText>> byLabel = new TreeMap<>();
        for (LabelledText t : all) {
            byLabel.computeIfAbsent(t.label(), k -> new ArrayList<>()).add(t);
        }
        Random random = new Random(seed);
        List<LabelledText> train = new ArrayList<>();
        List<LabelledText> test = new ArrayList<>();
        for (List<LabelledText> group : byLabel.values()) {
            List<LabelledText> shuffled = new ArrayList<>(group);
            shuffled.sort(Comparator.comparing(LabelledText::text));
            Collections.shuffle(shuffled, random);
            int held = (int) Math.round(shuffled.size() * testShare);
            test.addAll(shuffled.subList(0, held));
            train.addAll(shuffled.subList(held, shuffled.size()));
        }
        Collections.shuffle(train, random);
        return new Split(train, test);
    }

}

package dev.keel.kb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Measures a retriever on questions whose relevant articles are known: recall at 1 and 5, MRR and
 * nDCG at k (binary relevance), and the latency of each search.
 */
public final class RetrievalEval {
    /** One evaluation question. */
    public record Question(String id, String text, Set<String> relevant) {
    }

    /** The figures of one run; latencies in milliseconds. */
    public record Report(int questions, double recallAt1, double recallAt5, double mrrAtK, double ndcgAtK, int k,
                         double latencyP50Ms, double latencyP99Ms) {
    }

    private RetrievalEval() {
    }

    /** Reads JSONL lines {@code {"id", "question", "relevant": [ids]}}. */
    public static List<Question> readQuestions(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Question> questions = new ArrayList<>();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode q = json.readTree(line);
            JsonNode text = q.get("question");
            JsonNode relevant = q.get("relevant");
            if (text == null || !text.isTextual() || relevant == null || !relevant.isArray()) {
                throw new IOException(file + " line " + lineNumber + ": needs \"question\" (text) and \"relevant\" (list of article ids)");
            }
            Set<String> ids = new HashSet<>();
            relevant.forEach(r -> ids.add(r.asText()));
            questions.add(new Question(q.path("id").asText("line-" + lineNumber), text.asText(), ids));
        }
        return questions;
    }

    public static Report run(Retriever retriever, List<Question> questions, int k) {
        int depth = Math.max(k, 5);
        double r1 = 0;
        double r5 = 0;
        double mrr = 0;
        double ndcg = 0;
        double[] latencies = new double[questions.size()];
        for (int i = 0; i < questions.size(); i++) {
            Question q = questions.get(i);
            long started = System.nanoTime();
            List<SearchHit> hits = retriever.search(q.text(), depth).hits();
            latencies[i] = (System.nanoTime() - started) / 1e6;
            int first = firstRelevant(hits, q.relevant());
            r1 += first == 0 ? 1 : 0;
            r5 += first >= 0 && first < 5 ? 1 : 0;
            mrr += first >= 0 && first < k ? 1.0 / (first + 1) : 0;
            ndcg += ndcg(hits, q.relevant(), k);
        }
        int n = Math.max(1, questions.size());
        return new Report(questions.size(), r1 / n, r5 / n, mrr / n, ndcg / n, k,
                percentile(latencies, 50), percentile(latencies, 99));
    }

    private static int firstRelevant(List<SearchHit> hits, Set<String> relevant) {
        for (int i = 0; i < hits.size(); i++) {
            if (relevant.contains(hits.get(i).articleId())) {
                return i;
            }
        }
        return -1;
    }

    private static double ndcg(List<SearchHit> hits, Set<String> relevant, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, hits.size()); i++) {
            if (relevant.contains(hits.get(i).articleId())) {
                dcg += 1 / log2(i + 2);
            }
        }
        double ideal = 0;
        for (int i = 0; i < Math.min(k, relevant.size()); i++) {
            ideal += 1 / log2(i + 2);
        }
        return ideal == 0 ? 0 : dcg / ideal;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    /** The nearest-rank percentile of a sample. */
    public static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}

package dev.keel.kb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Indexing rate and query latency of a knowledge base grown to a given number of passages.
 *
 * <p>The real articles are indexed as usual, which measures the embedding rate. The index is then
 * filled up with synthetic distractor articles: their text is drawn from the real articles' words
 * (so BM25 term statistics stay realistic) and their vectors are blends of real passage vectors
 * plus noise (so the HNSW graph has the shape of real embeddings). Computing those vectors with the
 * model would only measure the embedding rate again, at hours per 100,000 passages on two cores.
 * Queries are the real titles, embedded by the model at query time as in production. The index
 * lives in a temporary folder, memory-mapped as the server's is, not on the Java heap.
 */
public final class RetrievalBench {
    private static final int BATCH = 1000;

    /** Figures of one run; latencies in milliseconds, {@code [p50, p99]} per mode. */
    public record Report(int passages, int realPassages, int segments, double embeddedPerSecond, double indexedPerSecond,
                         Map<KnowledgeBase.Mode, double[]> latency) {
    }

    private RetrievalBench() {
    }

    public static Report run(List<Article> real, int passages, int queries, int runs, Embedder embedder) throws IOException {
        Path folder = Files.createTempDirectory("keel-kb-bench");
        try (KnowledgeBase kb = KnowledgeBase.open(folder, embedder)) {
            return run(kb, real, passages, queries, runs);
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Report run(KnowledgeBase kb, List<Article> real, int passages, int queries, int runs) throws IOException {
        long started = System.nanoTime();
        kb.index(real);
        int realPassages = kb.passageCount();
        double embedded = realPassages / seconds(started);

        Distractors distractors = new Distractors(real, kb.allVectors(), new Random(42));
        long fill = System.nanoTime();
        int added = 0;
        while (kb.passageCount() < passages) {
            Map<String, List<PassageIndex.Entry>> batch = new LinkedHashMap<>();
            for (int i = 0; i < Math.min(BATCH, passages - kb.passageCount()); i++) {
                PassageIndex.Entry e = distractors.next();
                batch.put(e.passage().articleId(), List.of(e));
            }
            kb.indexPrepared(batch);
            added += batch.size();
        }
        // a start-up that indexes this much leaves one segment (see KnowledgeBase.synchronize); so does the bench
        kb.mergeSegments();
        double indexed = added == 0 ? 0 : added / seconds(fill);

        List<String> asked = new ArrayList<>();
        Random pick = new Random(7);
        for (int i = 0; i < queries; i++) {
            asked.add(real.get(pick.nextInt(real.size())).title());
        }
        Map<KnowledgeBase.Mode, double[]> latency = new LinkedHashMap<>();
        for (KnowledgeBase.Mode mode : KnowledgeBase.Mode.values()) {
            time(kb, mode, asked.subList(0, Math.min(50, asked.size())));
            double[][] timed = new double[runs][];
            for (int r = 0; r < runs; r++) {
                timed[r] = time(kb, mode, asked);
            }
            Arrays.sort(timed, (a, b) -> Double.compare(a[1], b[1]));
            latency.put(mode, timed[runs / 2]);
        }
        return new Report(kb.passageCount(), realPassages, kb.segmentCount(), embedded, indexed, latency);
    }

    private static double seconds(long since) {
        return Math.max(1e-9, (System.nanoTime() - since) / 1e9);
    }

    /** p50 and p99 in milliseconds of one pass over the queries. */
    private static double[] time(KnowledgeBase kb, KnowledgeBase.Mode mode, List<String> asked) {
        double[] ms = new double[asked.size()];
        for (int i = 0; i < asked.size(); i++) {
            long t = System.nanoTime();
            kb.search(asked.get(i), 3, mode);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        return new double[]{RetrievalEval.percentile(ms, 50), RetrievalEval.percentile(ms, 99)};
    }

    /** One-passage articles made of the real articles' words, with vectors near real ones. */
    private static final class Distractors {
        private final String[] words;
        private final List<float[]> vectors;
        private final Random random;
        private int serial;

        Distractors(List<Article> real, List<float[]> vectors, Random random) {
            this.words = real.stream().flatMap(a -> Arrays.stream((a.title() + " " + a.body()).split("\\s+")))
                    .filter(w -> w.matches("[A-Za-z][A-Za-z'-]{1,20}")).toArray(String[]::new);
            this.vectors = vectors;
            this.random = random;
        }

        PassageIndex.Entry next() {
            serial++;
            String id = "distractor-" + serial;
            Passage p = new Passage(id + "#0", id, words(3 + random.nextInt(5)), "", words(60 + random.nextInt(80)));
            return new PassageIndex.Entry(p, "en", "synthetic", vector(), vector());
        }

        private float[] vector() {
            float[] a = vectors.get(random.nextInt(vectors.size()));
            float[] b = vectors.get(random.nextInt(vectors.size()));
            float[] v = new float[a.length];
            double norm = 0;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (0.6 * a[i] + 0.4 * b[i] + 0.02 * random.nextGaussian());
                norm += v[i] * v[i];
            }
            for (int i = 0; i < v.length; i++) {
                v[i] /= (float) Math.sqrt(norm);
            }
            return v;
        }

        private String words(int n) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < n; i++) {
                s.append(i == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            return s.toString();
        }
    }
}

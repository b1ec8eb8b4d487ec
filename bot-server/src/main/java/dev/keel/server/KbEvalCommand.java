package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.kb.Article;
import dev.keel.kb.ArticleFolder;
import dev.keel.kb.BaselineRetriever;
import dev.keel.kb.Embedder;
import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.RetrievalEval;
import dev.keel.kb.Retriever;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code keel kb eval}: ranks the articles of a folder for questions with known answers and prints
 * the retrieval figures as one JSON object. {@code --mode all} measures every mode in one run on the
 * same data, the index built once.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure retrieval (recall@1, recall@5, MRR@k, nDCG@k, latency) on a question set; prints JSON.")
final class KbEvalCommand implements Callable<Integer> {
    /** Questions run once before timing, so the JIT and the model session are warm. */
    private static final int WARM_UP = 30;

    @Option(names = "--kb", required = true, description = "Folder of articles.")
    Path kb;

    @Option(names = "--questions", required = true, description = "JSONL questions: {\"id\", \"question\", \"relevant\": [article ids]}.")
    Path questions;

    @Option(names = "--mode", defaultValue = "hybrid",
            description = "bm25, vector, hybrid, baseline (LangChain4j's default RAG retrieval) or all (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--k", defaultValue = "10", description = "Depth of MRR and nDCG (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2",
            description = "Embedding model: bge-small-en-v1.5-q or all-minilm-l6-v2 (default: ${DEFAULT-VALUE}).")
    String model;

    @Override
    public Integer call() throws Exception {
        List<String> modes = mode.equalsIgnoreCase("all") ? List.of("bm25", "vector", "hybrid", "baseline")
                : List.of(mode.toLowerCase(Locale.ROOT));
        for (String m : modes) {
            if (!m.equals("baseline")) {
                KnowledgeBase.Mode.parse(m);
            }
        }
        if (k < 5) {
            throw new IllegalArgumentException("--k must be at least 5");
        }
        Embedder embedder = Embedder.shared(Embedder.Model.byId(model));
        List<Article> articles = ArticleFolder.read(kb);
        List<RetrievalEval.Question> asked = RetrievalEval.readQuestions(questions);
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode();
        out.put("model", embedder.model().id()).put("articles", articles.size()).put("questions", asked.size()).put("k", k);
        KnowledgeBase index = null;
        try {
            for (String m : modes) {
                long started = System.nanoTime();
                Retriever retriever;
                if (m.equals("baseline")) {
                    retriever = new BaselineRetriever(articles, embedder);
                } else {
                    if (index == null) {
                        index = KnowledgeBase.inMemory(embedder);
                        index.index(articles);
                        out.put("passages", index.passageCount());
                    }
                    retriever = index.retriever(KnowledgeBase.Mode.parse(m));
                }
                long built = System.nanoTime() - started;
                RetrievalEval.run(retriever, asked.subList(0, Math.min(WARM_UP, asked.size())), k);
                RetrievalEval.Report r = RetrievalEval.run(retriever, asked, k);
                ObjectNode figures = modes.size() == 1 ? out : out.putObject(m);
                figures.put("mode", m)
                        .put("recall@1", round(r.recallAt1())).put("recall@5", round(r.recallAt5()))
                        .put("mrr@" + k, round(r.mrrAtK())).put("ndcg@" + k, round(r.ndcgAtK()))
                        .put("latency_p50_ms", round(r.latencyP50Ms())).put("latency_p99_ms", round(r.latencyP99Ms()))
                        .put("build_ms", built / 1_000_000);
            }
        } finally {
            if (index != null) {
                index.close();
            }
        }
        System.out.println(json.writeValueAsString(out));
        return 0;
    }

    static double round(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }
}

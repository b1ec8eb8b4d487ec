package dev.keel.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.kb.Article;
import dev.keel.kb.ArticleFolder;
import dev.keel.kb.Embedder;
import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.RetrievalBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code keel kb bench}: indexing rate and query latency at N passages (see {@link RetrievalBench}); prints JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Indexing rate and query latency at N passages (real articles plus synthetic distractors); prints JSON.")
final class KbBenchCommand implements Callable<Integer> {
    @Option(names = "--kb", required = true, description = "Folder of real articles (their titles are the queries).")
    Path kb;

    @Option(names = "--articles", defaultValue = "10000", description = "Passages to index in total (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = "--queries", defaultValue = "300", description = "Queries per run and mode (default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs per mode; the median run is printed (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() throws Exception {
        List<Article> real = ArticleFolder.read(kb);
        if (real.isEmpty() || queries < 1 || runs < 1) {
            throw new IllegalArgumentException("need articles in " + kb + ", --queries >= 1 and --runs >= 1");
        }
        RetrievalBench.Report r = RetrievalBench.run(real, passages, queries, runs, Embedder.shared());
        ObjectMapper json = new ObjectMapper();
        ObjectNode out = json.createObjectNode()
                .put("passages", r.passages()).put("real_passages", r.realPassages()).put("segments", r.segments())
                .put("embedded_passages_per_second", KbEvalCommand.round(r.embeddedPerSecond()))
                .put("indexed_passages_per_second", KbEvalCommand.round(r.indexedPerSecond()))
                .put("queries", queries).put("runs", runs);
        for (Map.Entry<KnowledgeBase.Mode, double[]> mode : r.latency().entrySet()) {
            out.putObject(mode.getKey().name().toLowerCase(Locale.ROOT))
                    .put("p50_ms", KbEvalCommand.round(mode.getValue()[0])).put("p99_ms", KbEvalCommand.round(mode.getValue()[1]));
        }
        System.out.println(json.writeValueAsString(out));
        return 0;
    }
}

package dev.keel.kb;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * An in-process ONNX sentence-embedding model shipped inside a Maven artifact, so nothing is
 * downloaded at run time. Loading one takes about a second and its session is thread-safe, so each
 * model is loaded once per JVM ({@link #shared}) and reused by every index and query.
 */
public final class Embedder {
    /** The models Keel can use; {@link #DEFAULT} measured best on the StackFAQ evaluation. */
    public enum Model {
        BGE_SMALL_EN_V15_Q("bge-small-en-v1.5-q", "Represent this sentence for searching relevant passages: ",
                BgeSmallEnV15QuantizedEmbeddingModel::new),
        ALL_MINILM_L6_V2("all-minilm-l6-v2", "", AllMiniLmL6V2EmbeddingModel::new);

        public static final Model DEFAULT = ALL_MINILM_L6_V2;

        final String id;
        /** BGE is trained to embed short queries with this instruction in front; passages go in bare. */
        final String queryPrefix;
        final Supplier<EmbeddingModel> loader;

        Model(String id, String queryPrefix, Supplier<EmbeddingModel> loader) {
            this.id = id;
            this.queryPrefix = queryPrefix;
            this.loader = loader;
        }

        public String id() {
            return id;
        }

        public static Model byId(String id) {
            for (Model m : values()) {
                if (m.id.equals(id.toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown embedding model '" + id + "'; known: bge-small-en-v1.5-q, all-minilm-l6-v2");
        }
    }

    private static final Map<Model, Embedder> LOADED = new ConcurrentHashMap<>();

    private final Model model;
    private final EmbeddingModel onnx;

    private Embedder(Model model) {
        this.model = model;
        this.onnx = model.loader.get();
    }

    /** The one instance of the default model in this JVM, loaded on first use. */
    public static Embedder shared() {
        return shared(Model.DEFAULT);
    }

    public static Embedder shared(Model model) {
        return LOADED.computeIfAbsent(model, Embedder::new);
    }

    public Model model() {
        return model;
    }

    /** The LangChain4j model itself, for pipelines built from LangChain4j parts. */
    public EmbeddingModel langchain4j() {
        return onnx;
    }

    public int dimension() {
        return onnx.dimension();
    }

    /** Embeds a customer question (with the model's query instruction, if it has one). */
    public float[] embedQuery(String text) {
        return onnx.embed(model.queryPrefix + text).content().vector();
    }

    /** Embeds passages in one batch; the model spreads the batch over the cores. */
    public List<float[]> embedPassages(List<String> texts) {
        if (texts.isEmpty()) {
            return List.of();
        }
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        return onnx.embedAll(segments).content().stream().map(e -> e.vector()).toList();
    }
}

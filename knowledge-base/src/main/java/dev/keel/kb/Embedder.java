package dev.keel.kb;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process ONNX sentence-embedding model shipped inside a Maven artifact, so nothing is
 * downloaded at run time. Loading one takes about a second and its session is thread-safe, so each
 * model is loaded once per JVM ({@link #shared}) and reused by every index and query.
 *
 * <p>The session runs each call on the calling thread alone. ONNX Runtime's default spreads one
 * call over a pool of spinning threads, one per core; with many turns embedding their questions
 * at once on two cores, those threads fought the callers and each other for the CPU. Batches
 * ({@link #embedPassages}) still use every core: LangChain4j embeds their texts in parallel.
 */
public final class Embedder {
    /** The models Keel can use; {@link #DEFAULT} measured best on the StackFAQ evaluation. */
    public enum Model {
        BGE_SMALL_EN_V15_Q("bge-small-en-v1.5-q", "Represent this sentence for searching relevant passages: ", PoolingMode.CLS),
        ALL_MINILM_L6_V2("all-minilm-l6-v2", "", PoolingMode.MEAN);

        public static final Model DEFAULT = ALL_MINILM_L6_V2;

        final String id;
        /** BGE is trained to embed short queries with this instruction in front; passages go in bare. */
        final String queryPrefix;
        /** How the model's token vectors become one vector (as its LangChain4j artifact does it). */
        final PoolingMode pooling;

        Model(String id, String queryPrefix, PoolingMode pooling) {
            this.id = id;
            this.queryPrefix = queryPrefix;
            this.pooling = pooling;
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
    private volatile QueryCache queries = new QueryCache(0);

    private Embedder(Model model) {
        this.model = model;
        this.onnx = load(model);
    }

    /** The model and tokenizer files of the model's LangChain4j artifact, in a single-threaded session. */
    private static EmbeddingModel load(Model model) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (InputStream onnxFile = resource(model.id + ".onnx");
             InputStream tokenizer = resource(model.id + "-tokenizer.json");
             OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            OrtSession session = environment.createSession(onnxFile.readAllBytes(), options);
            OnnxBertBiEncoder encoder = new OnnxBertBiEncoder(environment, session, tokenizer, model.pooling);
            return new InProcess(encoder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embedding model " + model.id, e);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot load the embedding model " + model.id, e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = Embedder.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException(name + " is not on the class path");
        }
        return in;
    }

    /** LangChain4j's in-process model around an encoder built here; batches run on its default executor (one thread a core). */
    private static final class InProcess extends AbstractInProcessEmbeddingModel {
        private final OnnxBertBiEncoder encoder;

        InProcess(OnnxBertBiEncoder encoder) {
            super(null);
            this.encoder = encoder;
        }

        @Override
        protected OnnxBertBiEncoder model() {
            return encoder;
        }
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
        QueryCache cache = queries;
        String key = QueryCache.key(text);
        float[] known = cache.get(key);
        if (known != null) {
            // a copy, so a caller that changes its vector cannot change the cached one
            return known.clone();
        }
        float[] vector = onnx.embed(model.queryPrefix + text).content().vector();
        cache.put(key, vector.clone());
        return vector;
    }

    /**
     * Keeps the embeddings of the last {@code entries} distinct questions (0, the default, keeps
     * none), so a question asked again costs no model call.
     */
    public void queryCache(int entries) {
        queries = new QueryCache(entries);
    }

    /**
     * Recent query embeddings by normalised text: trimmed, runs of white space made one space, lower
     * case. Both models lower-case and split at white space before anything else, so questions with
     * the same key get the same tokens and the same vector.
     */
    private static final class QueryCache {
        private final int capacity;
        private final Map<String, float[]> recent;

        QueryCache(int capacity) {
            this.capacity = capacity;
            this.recent = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                    return size() > QueryCache.this.capacity;
                }
            };
        }

        static String key(String text) {
            return text.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        }

        synchronized float[] get(String key) {
            return capacity == 0 ? null : recent.get(key);
        }

        synchronized void put(String key, float[] vector) {
            if (capacity > 0) {
                recent.put(key, vector);
            }
        }
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

package dev.keel.kb;

import dev.keel.kb.Fusion.Ranked;
import dev.keel.kb.LanguageAnalysis.Family;
import dev.keel.kb.PassageIndex.Entry;
import dev.keel.kb.PassageIndex.Scored;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The searchable knowledge base: published articles split into passages, each passage indexed for
 * BM25 and as an embedding in one Lucene index, searched lexically, by meaning, or both fused.
 *
 * <p>Customer text is never handed to a query parser. It is run through the same analyzers as the
 * articles and the resulting terms are combined as plain term queries, so any string a customer
 * can type yields results or an empty list, never a syntax error.
 *
 * <p>Changes ({@link #index}, {@link #remove}) are committed and visible to the next search when
 * the call returns. A persistent index ({@link #open}) is checked against the articles it should
 * hold with {@link #synchronize}, which re-indexes what differs.
 */
public final class KnowledgeBase implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(KnowledgeBase.class);
    /** More distinct terms than this in one question add nothing but cost. */
    static final int MAX_QUERY_TERMS = 64;
    /** Only this much of a question is embedded: the model reads ~512 tokens anyway. */
    static final int MAX_EMBEDDED_CHARS = 2000;
    /** Passages each search fetches before they are collapsed to articles and fused. */
    private static final int CANDIDATES = 60;
    /** Bump when chunking or indexing changes, so persistent indexes are rebuilt. */
    private static final String INDEX_FORMAT = "passages-3";

    /** Which evidence ranks the articles. */
    public enum Mode {
        BM25, VECTOR, HYBRID;

        public static Mode parse(String value) {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        }
    }

    private final LanguageAnalysis analysis = new LanguageAnalysis();
    private final Embedder embedder;
    private final PassageIndex index;
    private final Map<String, Article> articles = new ConcurrentHashMap<>();
    private volatile Answerability answerability;
    private volatile Fusion fusion = Fusion.DEFAULT;

    private KnowledgeBase(Directory directory, Embedder embedder) throws IOException {
        this.embedder = embedder;
        this.index = new PassageIndex(directory, analysis);
        this.answerability = Answerability.of(embedder.model());
    }

    /** An empty knowledge base held in memory. */
    public static KnowledgeBase inMemory(Embedder embedder) throws IOException {
        return new KnowledgeBase(new ByteBuffersDirectory(), embedder);
    }

    /**
     * A knowledge base whose index lives in a folder and survives restarts. Call {@link
     * #synchronize} with the store's articles before serving from it. An index built with another
     * embedding model or index format is emptied, since its vectors cannot be compared.
     */
    public static KnowledgeBase open(Path indexFolder, Embedder embedder) throws IOException {
        Files.createDirectories(indexFolder);
        KnowledgeBase kb = new KnowledgeBase(FSDirectory.open(indexFolder), embedder);
        String built = kb.index.committedModel();
        if (built != null && !built.equals(kb.indexIdentity())) {
            LOG.info("index in {} was built by {}; rebuilding for {}", indexFolder, built, kb.indexIdentity());
            kb.index.deleteAll(kb.indexIdentity());
        }
        return kb;
    }

    /** Reads every {@code .md} file in the folder (not below it) and indexes the published ones, in memory. */
    public static KnowledgeBase load(Path folder) throws IOException {
        List<Article> read = ArticleFolder.read(folder);
        LOG.info("knowledge base: {} articles from {}", read.size(), folder);
        return of(read);
    }

    /** Builds an in-memory knowledge base from articles, with the shared embedding model. */
    public static KnowledgeBase of(Iterable<Article> articles) throws IOException {
        KnowledgeBase kb = inMemory(Embedder.shared());
        List<Article> all = new ArrayList<>();
        articles.forEach(all::add);
        kb.index(all);
        return kb;
    }

    private String indexIdentity() {
        return INDEX_FORMAT + "/" + embedder.model().id();
    }

    /**
     * Makes these articles searchable as they are now: published ones are (re-)indexed, drafts
     * are taken out. Embedding happens before the index is touched; then each article's old
     * passages are replaced in one step and the change is committed and visible on return.
     */
    public void index(Collection<Article> changed) throws IOException {
        List<Article> published = changed.stream().filter(Article::published).toList();
        List<String> drafts = changed.stream().filter(a -> !a.published()).map(Article::id).toList();
        Map<String, List<Entry>> entries = entries(published);
        index.replace(entries, indexIdentity());
        if (!drafts.isEmpty()) {
            index.delete(drafts, indexIdentity());
        }
        published.forEach(a -> articles.put(a.id(), a));
        drafts.forEach(articles::remove);
    }

    public void index(Article article) throws IOException {
        index(List.of(article));
    }

    /** Writes passages whose vectors are already computed (benchmark distractors). */
    void indexPrepared(Map<String, List<Entry>> entries) throws IOException {
        index.replace(entries, indexIdentity());
    }

    /** Merges the index into one segment, as {@link #synchronize} does after a bulk change. */
    void mergeSegments() throws IOException {
        index.mergeSegments(indexIdentity());
    }

    /** The passage vectors of the index, for building realistic synthetic ones. */
    List<float[]> allVectors() throws IOException {
        return index.allVectors();
    }

    /** Takes an article out of search; committed and visible on return. */
    public void remove(String articleId) throws IOException {
        index.delete(List.of(articleId), indexIdentity());
        articles.remove(articleId);
    }

    /**
     * Brings the index in line with the articles of the store: indexes published articles that are
     * missing or whose indexed version differs, and removes everything else (drafts, deleted
     * articles, passages left by an interrupted update).
     *
     * @return how many articles had to be re-indexed or removed
     */
    public int synchronize(Collection<Article> storeArticles) throws IOException {
        Map<String, String> indexed = index.articleHashes();
        List<Article> stale = new ArrayList<>();
        Set<String> wanted = new LinkedHashSet<>();
        articles.clear();
        for (Article a : storeArticles) {
            if (!a.published()) {
                continue;
            }
            wanted.add(a.id());
            articles.put(a.id(), a);
            if (!hash(a).equals(indexed.get(a.id()))) {
                stale.add(a);
            }
        }
        List<String> extra = indexed.keySet().stream().filter(id -> !wanted.contains(id)).toList();
        index.replace(entries(stale), indexIdentity());
        if (!extra.isEmpty()) {
            index.delete(extra, indexIdentity());
        }
        if (!stale.isEmpty() || !extra.isEmpty()) {
            index.mergeSegments(indexIdentity());
            LOG.info("knowledge base index repaired: {} articles re-indexed, {} removed", stale.size(), extra.size());
        }
        return stale.size() + extra.size();
    }

    private Map<String, List<Entry>> entries(List<Article> toIndex) {
        List<Passage> passages = new ArrayList<>();
        for (Article a : toIndex) {
            passages.addAll(Chunker.chunk(a));
        }
        List<float[]> vectors = embedder.embedPassages(passages.stream().map(KnowledgeBase::embeddingText).toList());
        List<float[]> titles = embedder.embedPassages(toIndex.stream().map(Article::title).toList());
        Map<String, float[]> titleVectors = new LinkedHashMap<>();
        for (int i = 0; i < toIndex.size(); i++) {
            titleVectors.put(toIndex.get(i).id(), titles.get(i));
        }
        Map<String, Article> byId = new LinkedHashMap<>();
        toIndex.forEach(a -> byId.put(a.id(), a));
        Map<String, List<Entry>> entries = new LinkedHashMap<>();
        toIndex.forEach(a -> entries.put(a.id(), new ArrayList<>()));
        for (int i = 0; i < passages.size(); i++) {
            Passage p = passages.get(i);
            Article a = byId.get(p.articleId());
            List<Entry> ofArticle = entries.get(a.id());
            ofArticle.add(new Entry(p, a.locale(), hash(a), vectors.get(i), ofArticle.isEmpty() ? titleVectors.get(a.id()) : null));
        }
        return entries;
    }

    /** What the model reads for a passage: the article title and section heading give the text its context. */
    static String embeddingText(Passage p) {
        return p.heading().isEmpty() ? p.title() + "\n" + p.text() : p.title() + "\n" + p.heading() + "\n" + p.text();
    }

    /** A digest of everything that is indexed of an article; equal digests mean the index is current. */
    static String hash(Article a) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : List.of(a.id(), a.title(), a.locale(), String.join(",", a.tags()),
                    a.url() == null ? "" : a.url(), a.body())) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<Article> article(String id) {
        return Optional.ofNullable(articles.get(id));
    }

    public int articleCount() {
        return articles.size();
    }

    /** Every passage the index holds for an article: what search can return of it, to check it against the store. */
    public List<Passage> passagesOf(String articleId) {
        try {
            return index.passagesOf(articleId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int segmentCount() {
        return index.segmentCount();
    }

    public int passageCount() {
        return index.passageCount();
    }

    public Embedder embedder() {
        return embedder;
    }

    /** Changes how answerability is computed (used to calibrate it on an evaluation set). */
    void answerability(Answerability newAnswerability) {
        this.answerability = newAnswerability;
    }

    /** Changes how lexical and vector rankings are combined (used to tune on an evaluation set). */
    void fusion(Fusion newFusion) {
        this.fusion = newFusion;
    }

    /** Finds the articles that best answer a question, ranked by hybrid retrieval. */
    public SearchResult search(String text, int limit) {
        return search(text, limit, Mode.HYBRID);
    }

    /** A retriever that always searches in one mode. */
    public Retriever retriever(Mode mode) {
        return (text, limit) -> search(text, limit, mode);
    }

    /**
     * Finds the articles that best answer a question.
     *
     * @param text  anything a customer typed
     * @param limit at most this many articles
     */
    public SearchResult search(String text, int limit, Mode mode) {
        String question = text == null ? "" : text;
        Map<Family, List<String>> terms = terms(question);
        int termCount = primaryCount(question, terms);
        if (termCount == 0 || limit <= 0) {
            return SearchResult.empty(termCount);
        }
        IndexSearcher searcher = index.acquire();
        try {
            return rank(searcher, candidates(searcher, question, terms, mode), fusion, limit, termCount);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            index.release(searcher);
        }
    }

    /** What the searches found for a question, before ranking; the document numbers are those of {@code searcher}. */
    record Candidates(IndexSearcher searcher, Mode mode, Map<Family, List<String>> terms, List<Scored> lexical, float[] vector, List<Scored> semantic,
                      List<Scored> titles) {
    }

    private Candidates candidates(IndexSearcher searcher, String question, Map<Family, List<String>> terms, Mode mode)
            throws IOException {
        List<Scored> lexical = mode == Mode.VECTOR ? List.of()
                : PassageIndex.run(searcher, PassageIndex.lexicalQuery(terms), CANDIDATES);
        float[] vector = mode == Mode.BM25 ? null : embedder.embedQuery(truncate(question));
        List<Scored> semantic = vector == null ? List.of()
                : PassageIndex.run(searcher, PassageIndex.vectorQuery(PassageIndex.VECTOR, vector, CANDIDATES), CANDIDATES);
        List<Scored> titles = vector == null ? List.of()
                : PassageIndex.run(searcher, PassageIndex.vectorQuery(PassageIndex.TITLE_VECTOR, vector, CANDIDATES), CANDIDATES);
        return new Candidates(searcher, mode, terms, lexical, vector, semantic, titles);
    }

    private SearchResult rank(IndexSearcher searcher, Candidates c, Fusion how, int limit, int termCount) throws IOException {
        List<Ranked> ranked = switch (c.mode()) {
            case BM25 -> Fusion.collapse(c.lexical());
            case VECTOR -> Fusion.collapse(c.semantic());
            case HYBRID -> how.fuse(c.lexical(), c.semantic(), c.titles());
        };
        List<SearchHit> hits = new ArrayList<>();
        for (Ranked r : ranked.subList(0, Math.min(limit, ranked.size()))) {
            Passage passage = PassageIndex.passage(searcher, r.best().doc());
            hits.add(new SearchHit(passage.articleId(), passage.title(), passage, r.score()));
        }
        double score = hits.isEmpty() ? 0
                : answerability.of(searcher, analysis, c.terms(), hits.get(0).passage(), ranked.get(0).best().doc(), c.vector());
        return new SearchResult(hits, score, termCount);
    }

    /**
     * A retriever that searches once per question in hybrid mode and then re-ranks the same
     * candidates under any fusion setting: tuning the fusion without embedding each question again.
     */
    java.util.function.BiFunction<Fusion, Integer, SearchResult> tuner(String question) {
        Map<Family, List<String>> terms = terms(question);
        int termCount = primaryCount(question, terms);
        IndexSearcher searcher = index.acquire();
        try {
            Candidates found = termCount == 0 ? null : candidates(searcher, question, terms, Mode.HYBRID);
            return (how, limit) -> {
                if (found == null) {
                    return SearchResult.empty(termCount);
                }
                IndexSearcher current = index.acquire();
                try {
                    // document numbers hold only within one reader: search again if the index changed since
                    Candidates c = current.getIndexReader() == found.searcher().getIndexReader() ? found
                            : candidates(current, question, terms, Mode.HYBRID);
                    return rank(current, c, how, limit, termCount);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    index.release(current);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            index.release(searcher);
        }
    }

    private static String truncate(String question) {
        return question.length() <= MAX_EMBEDDED_CHARS ? question : question.substring(0, MAX_EMBEDDED_CHARS);
    }

    /**
     * The question's terms as the analyzers see them. The question's own script picks its primary
     * family (CJK when it has Chinese, Japanese or Korean characters, English otherwise); its
     * count decides whether there is anything to search. The other families that can match such a
     * question are searched too: Latin words in a CJK question can match English articles, and any
     * question can match articles in languages without a dedicated analyzer.
     */
    Map<Family, List<String>> terms(String text) {
        Map<Family, List<String>> byFamily = new EnumMap<>(Family.class);
        Family primary = LanguageAnalysis.hasCjk(text) ? Family.CJK : Family.EN;
        List<String> primaryTerms = analysis.terms(primary, text, MAX_QUERY_TERMS);
        if (primaryTerms.isEmpty()) {
            return byFamily;
        }
        byFamily.put(primary, primaryTerms);
        for (Family other : Family.values()) {
            if (other != primary && (other == Family.STD || primary == Family.CJK)) {
                List<String> terms = analysis.terms(other, text, MAX_QUERY_TERMS);
                if (!terms.isEmpty()) {
                    byFamily.put(other, terms);
                }
            }
        }
        return byFamily;
    }

    /** How many terms the question has in its primary family (see {@link #terms}). */
    private static int primaryCount(String text, Map<Family, List<String>> terms) {
        List<String> primary = terms.get(LanguageAnalysis.hasCjk(text) ? Family.CJK : Family.EN);
        return primary == null ? 0 : primary.size();
    }

    /** Distinct English-analyzed terms of a text (what BM25 matches for an English article). */
    List<String> analyze(String text) {
        return analysis.terms(Family.EN, text, MAX_QUERY_TERMS);
    }

    LanguageAnalysis analysis() {
        return analysis;
    }

    @Override
    public void close() throws IOException {
        index.close();
        analysis.close();
    }
}

package dev.keel.kb;

import dev.keel.kb.LanguageAnalysis.Family;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One Lucene index holding, for every passage, both its analyzed text (BM25) and its embedding
 * (HNSW). Because both live in the same document, added and deleted in the same operation, the
 * lexical and the vector side can never disagree about which passages exist.
 *
 * <p>Changes go through one {@link IndexWriter}; a {@link SearcherManager} is refreshed after each
 * change, so a search that starts after {@link #replace} returns sees the new passages.
 */
final class PassageIndex implements Closeable {
    static final String ID = "id";
    static final String ARTICLE_ID = "articleId";
    static final String ARTICLE_HASH = "articleHash";
    static final String VECTOR = "vector";
    /** The embedding of the article title alone, on the article's first passage only. */
    static final String TITLE_VECTOR = "titleVector";
    private static final String LOCALE = "locale";
    private static final String STORED_TITLE = "stored.title";
    private static final String STORED_HEADING = "stored.heading";
    private static final String STORED_TEXT = "stored.text";
    /** Commit metadata: the embedding model the vectors came from. */
    static final String MODEL_KEY = "embedding.model";

    private static final float TITLE_BOOST = 2.0f;
    private static final float HEADING_BOOST = 0.5f;

    /**
     * A passage found by one of the searches, with that search's score: its document number in the
     * searcher it came from and its article, read from doc values. Its text is read from stored
     * fields ({@link #passage}) only for the few passages that are shown, since decompressing the
     * stored text of every candidate was most of the cost of a search.
     */
    record Scored(int doc, String articleId, double score) {
    }

    /**
     * A passage ready to be written: its text, its embedding, the version of its article, and, for
     * the first passage of an article, the embedding of the title (null on the others).
     */
    record Entry(Passage passage, String locale, String articleHash, float[] vector, float[] titleVector) {
    }

    private final Directory directory;
    private final LanguageAnalysis analysis;
    private final IndexWriter writer;
    private final SearcherManager searchers;

    PassageIndex(Directory directory, LanguageAnalysis analysis) throws IOException {
        this.directory = directory;
        this.analysis = analysis;
        IndexWriterConfig config = new IndexWriterConfig(analysis.indexAnalyzer())
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setCommitOnClose(true);
        this.writer = new IndexWriter(directory, config);
        this.searchers = new SearcherManager(writer, null);
    }

    /** The embedding model named in the last commit, or null for a new index. */
    String committedModel() throws IOException {
        if (!DirectoryReader.indexExists(directory)) {
            return null;
        }
        return liveCommitData().get(MODEL_KEY);
    }

    private Map<String, String> liveCommitData() {
        Map<String, String> data = new HashMap<>();
        Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
        if (live != null) {
            live.forEach(e -> data.put(e.getKey(), e.getValue()));
        }
        return data;
    }

    /**
     * Replaces all passages of each article by the given ones, atomically per article: the old
     * passages of an article are deleted by article id in the same operation that adds the new, so
     * no old passage can outlive an edit that made the article shorter.
     */
    void replace(Map<String, List<Entry>> byArticle, String model) throws IOException {
        for (Map.Entry<String, List<Entry>> article : byArticle.entrySet()) {
            List<Document> docs = new ArrayList<>();
            for (Entry entry : article.getValue()) {
                docs.add(toDocument(entry));
            }
            writer.updateDocuments(new Term(ARTICLE_ID, article.getKey()), docs);
        }
        commit(model);
    }

    void delete(List<String> articleIds, String model) throws IOException {
        for (String id : articleIds) {
            writer.deleteDocuments(new Term(ARTICLE_ID, id));
        }
        commit(model);
    }

    void deleteAll(String model) throws IOException {
        writer.deleteAll();
        commit(model);
    }

    /**
     * Merges the index into one segment. A search visits every segment on its own (each has its own
     * HNSW graph and term dictionary), so after a bulk load that left many segments this makes
     * searches several times cheaper. Blocks until the merge is done.
     */
    void mergeSegments(String model) throws IOException {
        writer.forceMerge(1);
        commit(model);
    }

    private void commit(String model) throws IOException {
        writer.setLiveCommitData(Map.of(MODEL_KEY, model).entrySet());
        writer.commit();
        searchers.maybeRefreshBlocking();
    }

    /** Article id to the version hash its indexed passages were built from. */
    Map<String, String> articleHashes() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            Map<String, String> hashes = new HashMap<>();
            StoredFields stored = searcher.storedFields();
            for (ScoreDoc doc : searcher.search(new MatchAllDocsQuery(), Math.max(1, searcher.getIndexReader().numDocs())).scoreDocs) {
                Document d = stored.document(doc.doc, java.util.Set.of(ARTICLE_ID, ARTICLE_HASH));
                hashes.put(d.get(ARTICLE_ID), d.get(ARTICLE_HASH));
            }
            return hashes;
        } finally {
            searchers.release(searcher);
        }
    }

    /** Every passage indexed for an article, in passage order. */
    List<Passage> passagesOf(String articleId) throws IOException {
        IndexSearcher searcher = acquire();
        try {
            List<Passage> found = new ArrayList<>();
            for (Scored hit : run(searcher, new TermQuery(new Term(ARTICLE_ID, articleId)), 10_000)) {
                found.add(passage(searcher, hit.doc()));
            }
            found.sort(java.util.Comparator.comparing(Passage::id));
            return found;
        } finally {
            release(searcher);
        }
    }

    List<float[]> allVectors() throws IOException {
        IndexSearcher searcher = acquire();
        try {
            List<float[]> vectors = new ArrayList<>();
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
                if (values == null) {
                    continue;
                }
                while (values.nextDoc() != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS) {
                    vectors.add(values.vectorValue().clone());
                }
            }
            return vectors;
        } finally {
            release(searcher);
        }
    }

    /** Segments of the searchable index: each is searched on its own, HNSW graph and all. */
    int segmentCount() {
        IndexSearcher searcher = acquire();
        try {
            return searcher.getIndexReader().leaves().size();
        } finally {
            release(searcher);
        }
    }

    int passageCount() {
        IndexSearcher searcher = acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            release(searcher);
        }
    }

    IndexSearcher acquire() {
        try {
            return searchers.acquire();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void release(IndexSearcher searcher) {
        try {
            searchers.release(searcher);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * BM25 over title, heading and text of each language family. The terms were produced by the
     * family's analyzer, never by a query parser, so no customer text can be read as syntax.
     */
    static Query lexicalQuery(Map<Family, List<String>> termsByFamily) {
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (Map.Entry<Family, List<String>> family : termsByFamily.entrySet()) {
            for (String term : family.getValue()) {
                query.add(new BoostQuery(new TermQuery(new Term(LanguageAnalysis.field("title", family.getKey()), term)), TITLE_BOOST),
                        BooleanClause.Occur.SHOULD);
                query.add(new BoostQuery(new TermQuery(new Term(LanguageAnalysis.field("heading", family.getKey()), term)), HEADING_BOOST),
                        BooleanClause.Occur.SHOULD);
                query.add(new TermQuery(new Term(LanguageAnalysis.field("text", family.getKey()), term)), BooleanClause.Occur.SHOULD);
            }
        }
        return query.build();
    }

    static Query vectorQuery(String field, float[] vector, int k) {
        return new KnnFloatVectorQuery(field, vector, k);
    }

    /** Runs a query; the hits carry their article id but not their text (see {@link #passage}). */
    static List<Scored> run(IndexSearcher searcher, Query query, int n) throws IOException {
        List<Scored> found = new ArrayList<>();
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        ScoreDoc[] hits = searcher.search(query, n).scoreDocs;
        for (ScoreDoc hit : hits) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(hit.doc, leaves));
            found.add(new Scored(hit.doc, Segment.of(leaf).articleId(hit.doc - leaf.docBase), hit.score));
        }
        return found;
    }

    /** The stored text of a passage found by {@link #run} on the same searcher. */
    static Passage passage(IndexSearcher searcher, int doc) throws IOException {
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        return Segment.of(leaf).passage(leaf.reader(), doc - leaf.docBase);
    }

    /** Segments whose article ids and shown passages are held (see {@link Segment}), across all open indexes. */
    static int cachedSegments() {
        return Segment.open();
    }

    /**
     * What a search reads of one segment again and again, kept for as long as the segment lives: every passage's
     * article id (read from doc values once) and the stored text of the passages shown so far. Keel never changes a
     * segment once written: an edit writes new segments and deletes documents, and doc values are never updated in
     * place (which would change a segment's values under the same key), so nothing here goes stale. The entry goes
     * when Lucene closes the segment's core; an index that is never closed keeps it. Without this each hit opened
     * its own doc-values iterator and each shown passage its own stored-fields reader, a large part of a search's
     * time in profiles of a small knowledge base.
     */
    private static final class Segment {
        private static final Map<Object, Segment> OPEN = new ConcurrentHashMap<>();

        static int open() {
            return OPEN.size();
        }

        private final String[] articleIds;
        private final AtomicReferenceArray<Passage> passages;

        private Segment(LeafReader reader) throws IOException {
            this.articleIds = new String[reader.maxDoc()];
            SortedDocValues values = DocValues.getSorted(reader, ARTICLE_ID);
            String[] byOrd = new String[values.getValueCount()];
            for (int ord = 0; ord < byOrd.length; ord++) {
                byOrd[ord] = values.lookupOrd(ord).utf8ToString();
            }
            java.util.Arrays.fill(articleIds, "");
            for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
                articleIds[doc] = byOrd[values.ordValue()];
            }
            this.passages = new AtomicReferenceArray<>(reader.maxDoc());
        }

        static Segment of(LeafReaderContext leaf) throws IOException {
            LeafReader reader = leaf.reader();
            IndexReader.CacheHelper helper = reader.getCoreCacheHelper();
            if (helper == null) {
                return new Segment(reader);
            }
            Object key = helper.getKey();
            Segment known = OPEN.get(key);
            if (known != null) {
                return known;
            }
            // one reading per new segment, however many searches meet it first at once
            synchronized (OPEN) {
                known = OPEN.get(key);
                if (known == null) {
                    known = new Segment(reader);
                    // the listener first: if it cannot be added, nothing is left in the map
                    helper.addClosedListener(OPEN::remove);
                    OPEN.put(key, known);
                }
                return known;
            }
        }

        String articleId(int doc) {
            return articleIds[doc];
        }

        /** @param reader the segment as the searcher has it (readers of one segment share this entry) */
        Passage passage(LeafReader reader, int doc) throws IOException {
            Passage known = passages.get(doc);
            if (known == null) {
                Document d = reader.storedFields().document(doc);
                known = new Passage(d.get(ID), d.get(ARTICLE_ID), d.get(STORED_TITLE), d.get(STORED_HEADING), d.get(STORED_TEXT));
                passages.set(doc, known);
            }
            return known;
        }
    }

    /** The cosine similarity of a query vector and the stored vector of one passage, or 0 if it has none. */
    static double cosine(IndexSearcher searcher, int doc, float[] query) throws IOException {
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        int local = doc - leaf.docBase;
        if (values == null || values.advance(local) != local) {
            return 0;
        }
        return Vectors.cosine(values.vectorValue(), query);
    }

    /** IDF statistics of one term in a family's text and title fields: the larger document frequency. */
    static int docFreq(IndexSearcher searcher, Family family, String term) throws IOException {
        return Math.max(searcher.getIndexReader().docFreq(new Term(LanguageAnalysis.field("text", family), term)),
                searcher.getIndexReader().docFreq(new Term(LanguageAnalysis.field("title", family), term)));
    }

    private static Document toDocument(Entry entry) {
        Passage p = entry.passage();
        Family family = Family.of(entry.locale());
        Document doc = new Document();
        doc.add(new StringField(ID, p.id(), Field.Store.YES));
        doc.add(new StringField(ARTICLE_ID, p.articleId(), Field.Store.YES));
        doc.add(new SortedDocValuesField(ARTICLE_ID, new BytesRef(p.articleId())));
        doc.add(new StringField(ARTICLE_HASH, entry.articleHash(), Field.Store.YES));
        doc.add(new StoredField(LOCALE, entry.locale()));
        doc.add(new TextField(LanguageAnalysis.field("title", family), p.title(), Field.Store.NO));
        doc.add(new TextField(LanguageAnalysis.field("heading", family), p.heading(), Field.Store.NO));
        doc.add(new TextField(LanguageAnalysis.field("text", family), p.text(), Field.Store.NO));
        doc.add(new StoredField(STORED_TITLE, p.title()));
        doc.add(new StoredField(STORED_HEADING, p.heading()));
        doc.add(new StoredField(STORED_TEXT, p.text()));
        doc.add(new KnnFloatVectorField(VECTOR, entry.vector(), VectorSimilarityFunction.COSINE));
        if (entry.titleVector() != null) {
            doc.add(new KnnFloatVectorField(TITLE_VECTOR, entry.titleVector(), VectorSimilarityFunction.COSINE));
        }
        return doc;
    }

    @Override
    public void close() throws IOException {
        searchers.close();
        writer.close();
        directory.close();
    }
}

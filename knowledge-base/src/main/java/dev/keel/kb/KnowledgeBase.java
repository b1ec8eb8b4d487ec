package dev.keel.kb;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.WordlistLoader;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.util.IOUtils;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The searchable knowledge base: articles read from a folder of Markdown files, split into
 * passages and indexed with BM25.
 *
 * <p>Customer text is never handed to a query parser. It is run through the same analyzer as the
 * articles and the resulting terms are combined as plain term queries, so any string a customer
 * can type yields results or an empty list, never a syntax error.
 */
public final class KnowledgeBase implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(KnowledgeBase.class);
    /** More distinct terms than this in one question add nothing but cost. */
    static final int MAX_QUERY_TERMS = 64;
    private static final int PASSAGES_SEARCHED = 60;
    private static final float TITLE_BOOST = 2.0f;
    private static final float HEADING_BOOST = 0.5f;

    private final Analyzer analyzer = new EnglishAnalyzer(englishStopWords());
    private final Directory directory = new ByteBuffersDirectory();
    private final Map<String, Article> articles;
    private final Map<String, Passage> passages = new LinkedHashMap<>();
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private KnowledgeBase(Map<String, Article> articles) throws IOException {
        this.articles = Collections.unmodifiableMap(articles);
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
            for (Article article : articles.values()) {
                for (Passage passage : Chunker.chunk(article)) {
                    passages.put(passage.id(), passage);
                    writer.addDocument(toDocument(passage));
                }
            }
        }
        reader = DirectoryReader.open(directory);
        searcher = new IndexSearcher(reader);
    }

    /** Reads every {@code .md} file in the folder (not below it) and indexes it. */
    public static KnowledgeBase load(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("knowledge base folder not found: " + folder.toAbsolutePath());
        }
        Map<String, Article> byId = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        }
        for (Path file : files) {
            Article article = ArticleParser.parse(file.getFileName().toString(),
                    Files.readString(file, StandardCharsets.UTF_8));
            Article previous = byId.put(article.id(), article);
            if (previous != null) {
                throw new IOException("two articles have the id '" + article.id() + "' in " + folder);
            }
        }
        LOG.info("knowledge base: {} articles from {}", byId.size(), folder);
        return of(byId.values());
    }

    /** Builds a knowledge base from articles already in memory. */
    public static KnowledgeBase of(Iterable<Article> articles) throws IOException {
        Map<String, Article> byId = new LinkedHashMap<>();
        for (Article a : articles) {
            byId.put(a.id(), a);
        }
        return new KnowledgeBase(byId);
    }

    public Optional<Article> article(String id) {
        return Optional.ofNullable(articles.get(id));
    }

    public int articleCount() {
        return articles.size();
    }

    public int passageCount() {
        return passages.size();
    }

    /**
     * Finds the articles that best answer a question.
     *
     * @param text  anything a customer typed
     * @param limit at most this many articles
     */
    public SearchResult search(String text, int limit) {
        List<String> terms = analyze(text == null ? "" : text);
        if (terms.isEmpty()) {
            return SearchResult.empty(0);
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (String term : terms) {
            query.add(new BoostQuery(new TermQuery(new Term("title", term)), TITLE_BOOST), BooleanClause.Occur.SHOULD);
            query.add(new BoostQuery(new TermQuery(new Term("heading", term)), HEADING_BOOST), BooleanClause.Occur.SHOULD);
            query.add(new TermQuery(new Term("text", term)), BooleanClause.Occur.SHOULD);
        }
        try {
            ScoreDoc[] docs = searcher.search(query.build(), PASSAGES_SEARCHED).scoreDocs;
            Map<String, SearchHit> byArticle = new LinkedHashMap<>();
            for (ScoreDoc doc : docs) {
                Passage passage = passages.get(searcher.storedFields().document(doc.doc).get("id"));
                if (passage != null && !byArticle.containsKey(passage.articleId())) {
                    byArticle.put(passage.articleId(),
                            new SearchHit(passage.articleId(), passage.title(), passage, doc.score));
                }
                if (byArticle.size() >= limit) {
                    break;
                }
            }
            List<SearchHit> hits = new ArrayList<>(byArticle.values());
            double answerability = hits.isEmpty() ? 0.0 : coverage(terms, hits.get(0).passage());
            return new SearchResult(hits, answerability, terms.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The share of the question's meaning that a passage covers: the IDF-weighted fraction of the
     * query terms that occur in the passage or its titles. Words the knowledge base has never seen
     * weigh the most, so an off-topic question scores low even when it shares common words.
     */
    private double coverage(List<String> queryTerms, Passage passage) throws IOException {
        Set<String> present = new LinkedHashSet<>(analyze(passage.title() + "\n" + passage.heading() + "\n" + passage.text()));
        int docCount = Math.max(1, reader.numDocs());
        double total = 0;
        double covered = 0;
        for (String term : queryTerms) {
            int df = Math.max(reader.docFreq(new Term("text", term)), reader.docFreq(new Term("title", term)));
            double idf = Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
            total += idf;
            if (present.contains(term)) {
                covered += idf;
            }
        }
        return total == 0 ? 0 : covered / total;
    }

    /** Distinct analyzed terms of a text, in order of first appearance, at most {@link #MAX_QUERY_TERMS}. */
    List<String> analyze(String text) {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream stream = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken() && terms.size() < MAX_QUERY_TERMS) {
                terms.add(term.toString());
            }
            stream.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(terms);
    }

    /**
     * Snowball's English stop list: it also drops the pronouns and auxiliaries of questions ("how do
     * I", "my"), which Lucene's short default list keeps and which otherwise dominate short questions.
     */
    private static CharArraySet englishStopWords() {
        try (Reader words = IOUtils.getDecodingReader(SnowballFilter.class, "english_stop.txt", StandardCharsets.UTF_8)) {
            return WordlistLoader.getSnowballWordSet(words);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document toDocument(Passage passage) {
        Document doc = new Document();
        doc.add(new StringField("id", passage.id(), Field.Store.YES));
        doc.add(new StringField("articleId", passage.articleId(), Field.Store.YES));
        doc.add(new TextField("title", passage.title(), Field.Store.NO));
        doc.add(new TextField("heading", passage.heading(), Field.Store.NO));
        doc.add(new TextField("text", passage.text(), Field.Store.NO));
        doc.add(new StoredField("locale", "en"));
        return doc;
    }

    @Override
    public void close() throws IOException {
        reader.close();
        directory.close();
        analyzer.close();
    }
}

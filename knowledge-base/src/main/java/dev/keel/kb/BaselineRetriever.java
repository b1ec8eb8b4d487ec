package dev.keel.kb;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.HuggingFaceTokenCountEstimator;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The retrieval most Java teams start with, built the way LangChain4j documents it, as the yardstick
 * for Keel's own retrieval: each article is one {@link Document}, cut by the recursive splitter
 * with LangChain4j's default sizes (300 tokens, 30 overlap), embedded with the same model as Keel
 * uses, kept in an {@link InMemoryEmbeddingStore} and searched by cosine similarity. The matching
 * segments are collapsed to articles so it can be scored like the other retrievers.
 */
public final class BaselineRetriever implements Retriever {
    private static final int SEGMENTS_SEARCHED = 60;
    private static final String ARTICLE_ID = "articleId";
    private static final String TITLE = "title";

    private final EmbeddingModel model;
    private final InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
    private final LanguageAnalysis analysis = new LanguageAnalysis();

    public BaselineRetriever(Iterable<Article> articles, Embedder embedder) {
        this.model = embedder.langchain4j();
        DocumentSplitter splitter = DocumentSplitters.recursive(300, 30, new HuggingFaceTokenCountEstimator());
        List<TextSegment> segments = new ArrayList<>();
        for (Article article : articles) {
            if (!article.published()) {
                continue;
            }
            Metadata metadata = new Metadata().put(ARTICLE_ID, article.id()).put(TITLE, article.title());
            segments.addAll(splitter.split(Document.from(article.title() + "\n\n" + article.body(), metadata)));
        }
        List<Embedding> embeddings = model.embedAll(segments).content();
        store.addAll(embeddings, segments);
    }

    @Override
    public SearchResult search(String text, int limit) {
        String question = text == null ? "" : text;
        int terms = analysis.terms(LanguageAnalysis.Family.EN, question, KnowledgeBase.MAX_QUERY_TERMS).size();
        // like Keel's retrievers, text with no words (only punctuation or stop words) searches nothing
        if (terms == 0 || limit <= 0) {
            return SearchResult.empty(terms);
        }
        Embedding query = model.embed(question).content();
        List<EmbeddingMatch<TextSegment>> matches = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(query).maxResults(SEGMENTS_SEARCHED).build()).matches();
        Map<String, SearchHit> byArticle = new LinkedHashMap<>();
        for (EmbeddingMatch<TextSegment> match : matches) {
            TextSegment segment = match.embedded();
            String articleId = segment.metadata().getString(ARTICLE_ID);
            String title = segment.metadata().getString(TITLE);
            byArticle.putIfAbsent(articleId, new SearchHit(articleId, title,
                    new Passage(match.embeddingId(), articleId, title, "", segment.text()), match.score()));
            if (byArticle.size() >= limit) {
                break;
            }
        }
        List<SearchHit> hits = new ArrayList<>(byArticle.values());
        return new SearchResult(hits, hits.isEmpty() ? 0 : hits.get(0).score(), terms);
    }
}

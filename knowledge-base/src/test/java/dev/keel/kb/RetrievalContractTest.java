package dev.keel.kb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The contract every retriever keeps (CASES K-QUERY-SANITIZING among it): any string gives a
 * result, never an exception, and never a reading of query syntax; results hold each article once,
 * best first, at most as many as asked; a plain question finds its article first.
 */
class RetrievalContractTest {
    private static KnowledgeBase kb;
    private static BaselineRetriever baseline;

    /** Strings customers type that a query parser would choke on or misread. */
    static final List<String> HOSTILE = List.of("Can I pause my plan for 1/2 month?", "pricing (annual",
            "what does \"pro+ plan\" include?", "error code [E42]", "AND", "refund: how?", "C++ SDK", "!!!",
            "title:x*~2^9", "title:foo*~2^9", "\\", "\"", "*", "?", "NOT OR AND", "a && b || c", "{[()]}", "~~~", "", "   ",
            "\u0000\u0001", "🙂 😡", "pause AND (plan OR \"contract", "-refund +cancel", "/.*/", "articleId:lk-refunds",
            "how do I pause my plan ".repeat(450));

    @BeforeAll
    static void build() throws Exception {
        kb = KnowledgeBase.of(Larkspur.articles());
        baseline = new BaselineRetriever(Larkspur.articles(), Embedder.shared());
    }

    @AfterAll
    static void close() throws Exception {
        kb.close();
    }

    static Stream<Arguments> retrievers() {
        return Stream.of(Arguments.of("bm25", kb.retriever(KnowledgeBase.Mode.BM25)),
                Arguments.of("vector", kb.retriever(KnowledgeBase.Mode.VECTOR)),
                Arguments.of("hybrid", kb.retriever(KnowledgeBase.Mode.HYBRID)),
                Arguments.of("baseline", baseline));
    }

    static Stream<Arguments> retrieversAndHostileText() {
        List<Arguments> all = new ArrayList<>();
        retrievers().forEach(r -> HOSTILE.forEach(text -> all.add(Arguments.of(r.get()[0], r.get()[1], text))));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("retrieversAndHostileText")
    void anyTextGivesResultsOrNothingNeverAnError(String name, Retriever retriever, String text) {
        assertThatCode(() -> {
            SearchResult result = retriever.search(text, 5);
            assertThat(result.hits().size()).isLessThanOrEqualTo(5);
            assertThat(result.answerability()).isBetween(0.0, 1.0);
        }).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retrievers")
    void eachArticleOnceBestFirstAtMostTheLimit(String name, Retriever retriever) {
        List<SearchHit> hits = retriever.search("How do I pay my bill and what payment methods can I use?", 4).hits();
        assertThat(hits).hasSizeBetween(1, 4);
        assertThat(new HashSet<>(hits.stream().map(SearchHit::articleId).toList())).hasSize(hits.size());
        for (int i = 1; i < hits.size(); i++) {
            assertThat(hits.get(i).score()).isLessThanOrEqualTo(hits.get(i - 1).score());
        }
        assertThat(hits).allSatisfy(h -> assertThat(h.passage().articleId()).isEqualTo(h.articleId()));
    }

    /** CASES BUG-06: the slash of "1/2" must not start a regular expression, and the article is still found. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("retrievers")
    void punctuatedQuestionStillFindsItsArticle(String name, Retriever retriever) {
        assertThat(retriever.search("Can I pause my plan for 1/2 month?", 3).hits().get(0).articleId()).isEqualTo("lk-pause-plan");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retrievers")
    void syntaxIsSearchedAsWordsNotObeyed(String name, Retriever retriever) {
        // as syntax this would match only titles starting with x; as words it is simply text
        assertThatCode(() -> retriever.search("title:x*~2^9", 3)).doesNotThrowAnyException();
        assertThat(retriever.search("!!! ??? ...", 3).isEmpty()).isTrue();
    }
}

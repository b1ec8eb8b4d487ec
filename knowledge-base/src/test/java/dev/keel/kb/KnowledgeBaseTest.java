package dev.keel.kb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class KnowledgeBaseTest {
    private static KnowledgeBase stackFaq;

    @BeforeAll
    static void load() throws Exception {
        stackFaq = KnowledgeBase.load(SharedData.path("stackfaq/articles"));
    }

    @AfterAll
    static void close() throws Exception {
        stackFaq.close();
    }

    @Test
    void loadsEveryArticleOfTheFolder() {
        assertThat(stackFaq.articleCount()).isEqualTo(125);
        assertThat(stackFaq.passageCount()).isGreaterThanOrEqualTo(125);
    }

    @Test
    void firstHitIsARelevantArticleForMostStackFaqQuestions() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(SharedData.path("stackfaq/questions.jsonl"));
        int firstHitRelevant = 0;
        int inTopFive = 0;
        for (String line : lines) {
            JsonNode q = json.readTree(line);
            List<String> relevant = json.convertValue(q.get("relevant"), json.getTypeFactory().constructCollectionType(List.class, String.class));
            List<SearchHit> hits = stackFaq.search(q.get("question").asText(), 5).hits();
            if (!hits.isEmpty() && relevant.contains(hits.get(0).articleId())) {
                firstHitRelevant++;
            }
            if (hits.stream().anyMatch(h -> relevant.contains(h.articleId()))) {
                inTopFive++;
            }
        }
        double recallAt1 = (double) firstHitRelevant / lines.size();
        double recallAt5 = (double) inTopFive / lines.size();
        System.out.printf("stackfaq bm25: questions=%d recall@1=%.3f recall@5=%.3f%n", lines.size(), recallAt1, recallAt5);
        assertThat(recallAt1).isGreaterThanOrEqualTo(0.6);
        assertThat(recallAt5).isGreaterThanOrEqualTo(0.85);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Can I pause my plan for 1/2 month?", "pricing (annual", "what does \"pro+ plan\" include?",
            "error code [E42]", "AND", "refund: how?", "C++ SDK", "!!!", "title:foo*~2^9", "\\", "\"", "*", "?", "NOT OR AND",
            "a && b || c", "{[()]}", "~~~", "", "   ", "\u0000\u0001", "🙂 😡"})
    void customerTextIsNeverReadAsQuerySyntax(String text) {
        assertThatCode(() -> stackFaq.search(text, 5)).doesNotThrowAnyException();
    }

    @Test
    void onlyPunctuationOrStopWordsGivesNothingToSearchFor() {
        assertThat(stackFaq.search("!!! ???", 5).queryTerms()).isZero();
        assertThat(stackFaq.search("the and of", 5).isEmpty()).isTrue();
    }

    @Test
    void veryLongTextIsSearchedWithoutError() {
        String text = "how do I delete my facebook account ".repeat(300);
        assertThat(text.length()).isGreaterThan(10_000);
        SearchResult result = stackFaq.search(text, 5);
        assertThat(result.hits()).isNotEmpty();
        assertThat(result.queryTerms()).isLessThanOrEqualTo(KnowledgeBase.MAX_QUERY_TERMS);
    }

    @Test
    void answerabilityIsHighOnTopicAndLowOffTopic() {
        double onTopic = stackFaq.search("How can I delete my facebook account?", 5).answerability();
        double offTopic = stackFaq.search("What's a good lasagna recipe?", 5).answerability();
        assertThat(onTopic).isGreaterThan(0.6);
        assertThat(offTopic).isLessThan(0.35);
    }

    @Test
    void rejectsArticlesWithoutFrontMatterNamingTheFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("broken.md"), "# no front matter\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KnowledgeBase.load(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("broken.md");
    }
}

package dev.keel.kb;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkerTest {
    @Test
    void splitsBySectionAndKeepsStableIdsAndTheTitle() {
        Article article = ArticleParser.parse("a.md", """
                ---
                id: a1
                title: "Pause your plan"
                tags: [billing, plans]
                ---

                Intro text.

                ## How to pause

                Open the app.

                ## Resuming

                It resumes by itself.
                """);
        List<Passage> passages = Chunker.chunk(article);
        assertThat(passages).extracting(Passage::id).containsExactly("a1#0", "a1#1", "a1#2");
        assertThat(passages).extracting(Passage::heading).containsExactly("", "How to pause", "Resuming");
        assertThat(passages).allSatisfy(p -> assertThat(p.title()).isEqualTo("Pause your plan"));
        assertThat(article.tags()).containsExactly("billing", "plans");
    }

    @Test
    void splitsLongSectionsAtParagraphs() {
        String paragraph = "word ".repeat(100).strip();
        Article article = new Article("long", "Long", "en", List.of(), null,
                "## Part\n\n" + (paragraph + "\n\n").repeat(10));
        List<Passage> passages = Chunker.chunk(article);
        assertThat(passages.size()).isGreaterThan(1);
        assertThat(passages).allSatisfy(p -> assertThat(p.text().length()).isLessThanOrEqualTo(Chunker.MAX_CHARS));
    }
}

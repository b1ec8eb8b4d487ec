package dev.keel.kb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The StackFAQ knowledge base, indexed once per test JVM: embedding its 700 passages is the slowest
 * step of the suite, so every test class that needs it shares this one (read-only) instance.
 */
final class StackFaq {
    private static KnowledgeBase kb;
    private static List<Article> articles;

    private StackFaq() {
    }

    static synchronized List<Article> articles() {
        if (articles == null) {
            try {
                articles = ArticleFolder.read(SharedData.path("stackfaq/articles"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return articles;
    }

    static synchronized KnowledgeBase kb() {
        if (kb == null) {
            try {
                kb = KnowledgeBase.of(articles());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return kb;
    }

    static List<RetrievalEval.Question> questions() {
        try {
            return RetrievalEval.readQuestions(SharedData.path("stackfaq/questions.jsonl"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

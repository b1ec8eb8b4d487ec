package dev.keel.server.llm;

import java.util.List;
import java.util.Map;

/** Quotes the best passage: the answer without a model, and the fallback when the model fails. */
public final class ExtractiveAnswerer implements Answerer {
    static final String TEMPLATE = "reply-answer";
    private static final int MAX_PASSAGE_CHARS = 700;

    private final PromptTemplates templates;

    public ExtractiveAnswerer(PromptTemplates templates) {
        this.templates = templates;
    }

    @Override
    public Answer answer(Question question, ReplyStream stream) {
        return answer(question, question.offerHuman(), List.of());
    }

    /** The quoted passage, with an offer of a person when asked for, and the given reasons. */
    Answer answer(Question question, boolean offerHuman, List<String> reasons) {
        var best = question.hits().get(0);
        String text = templates.render(TEMPLATE, Map.of("title", best.title(), "passage", excerpt(best.passage().text())));
        if (offerHuman) {
            text = text + "\n\n" + templates.render("reply-offer-human", Map.of());
        }
        return new Answer(text, question.hits(), offerHuman, reasons, TEMPLATE);
    }

    /** The start of a passage, cut at a sentence or paragraph end when it is long. */
    static String excerpt(String passage) {
        if (passage.length() <= MAX_PASSAGE_CHARS) {
            return passage;
        }
        String head = passage.substring(0, MAX_PASSAGE_CHARS);
        int cut = Math.max(head.lastIndexOf(". "), head.lastIndexOf("\n"));
        return (cut > MAX_PASSAGE_CHARS / 2 ? head.substring(0, cut + 1) : head).strip() + " …";
    }
}

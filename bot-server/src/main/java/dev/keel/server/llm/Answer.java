package dev.keel.server.llm;

import dev.keel.kb.SearchHit;

import java.util.List;

/**
 * A reply to a {@link Question}.
 *
 * @param citations  the retrieved articles the reply rests on
 * @param offerHuman whether the reply offers a person (always so when the model failed)
 * @param reasons    codes to add to the turn's reasons, such as {@code LLM_FALLBACK}
 * @param template   the template that produced the reply text
 */
public record Answer(String text, List<SearchHit> citations, boolean offerHuman, List<String> reasons, String template) {
}

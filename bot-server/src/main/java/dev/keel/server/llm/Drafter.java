package dev.keel.server.llm;

import dev.keel.kb.SearchHit;

import java.util.List;
import java.util.Optional;

/**
 * Drafts a reply for an agent from one filled prompt. An agent reads and edits every draft before
 * anything reaches the customer, but drafts are checked as the bot's answers are all the same.
 */
public interface Drafter {
    /** Without a model there are no drafts. */
    Drafter NONE = (prompt, passages) -> Optional.empty();

    /**
     * @param prompt   the filled template, conversation and passages inside their marked blocks
     * @param passages what the draft may take facts from (numbers and citations are checked against them)
     * @return the draft, or empty when the model failed or wrote something the checks stop
     */
    Optional<Draft> draft(String prompt, List<SearchHit> passages);

    /** @param cited the passages' articles the draft cited; all of them when it cited none */
    record Draft(String text, List<SearchHit> cited) {
    }
}

package dev.keel.server.llm;

import dev.keel.kb.SearchHit;

import java.util.List;
import java.util.Optional;

/**
 * Drafts text for agents from one filled prompt: a reply to suggest, a hand-off summary. An agent
 * reads every draft and edits a reply before anything reaches the customer, but drafts are checked
 * as the bot's answers are all the same.
 */
public interface Drafter {
    /** Without a model there are no drafts. */
    Drafter NONE = new Drafter() {
        @Override
        public Optional<Draft> draft(String prompt, List<SearchHit> passages) {
            return Optional.empty();
        }

        @Override
        public Optional<String> summarise(String prompt, String conversation) {
            return Optional.empty();
        }
    };

    /** Whether drafts can come at all (a model is configured). */
    default boolean enabled() {
        return this != NONE;
    }

    /**
     * @param prompt   the filled template, conversation and passages inside their marked blocks
     * @param passages what the draft may take facts from (numbers and citations are checked against them)
     * @return the draft, or empty when the model failed or wrote something the checks stop
     */
    Optional<Draft> draft(String prompt, List<SearchHit> passages);

    /**
     * A summary for the agent. The prompt is sent alone (its template carries the instructions, not
     * the bot's system prompt for customers) and the result is checked with the conversation as
     * its only source: numbers must appear in it.
     */
    Optional<String> summarise(String prompt, String conversation);

    /** @param cited the passages' articles the draft cited; all of them when it cited none */
    record Draft(String text, List<SearchHit> cited) {
    }
}

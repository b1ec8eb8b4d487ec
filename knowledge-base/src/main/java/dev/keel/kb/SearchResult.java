package dev.keel.kb;

import java.util.List;

/**
 * What a search found.
 *
 * @param hits          articles, best first, each once
 * @param answerability from 0 (nothing in the knowledge base covers the question) to 1 (the top
 *                      article covers every meaningful word of it)
 * @param queryTerms    how many distinct analyzed terms the question had; 0 means only punctuation
 *                      or stop words, so there was nothing to search for
 */
public record SearchResult(List<SearchHit> hits, double answerability, int queryTerms) {
    public static SearchResult empty(int queryTerms) {
        return new SearchResult(List.of(), 0.0, queryTerms);
    }

    public boolean isEmpty() {
        return hits.isEmpty();
    }
}

package dev.keel.kb;

/**
 * An article found for a query, with the passage that matched it best.
 *
 * @param articleId the article
 * @param title     its title
 * @param passage   the best matching passage of that article
 * @param score     the BM25 score of that passage
 */
public record SearchHit(String articleId, String title, Passage passage, double score) {
}

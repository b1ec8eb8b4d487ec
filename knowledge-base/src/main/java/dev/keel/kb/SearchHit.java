package dev.keel.kb;

/**
 * An article found for a query, with the passage that matched it best.
 *
 * @param articleId the article
 * @param title     its title
 * @param passage   the best matching passage of that article
 * @param score     the ranking score of that article (its scale depends on the retrieval mode)
 */
public record SearchHit(String articleId, String title, Passage passage, double score) {
}

package dev.keel.kb;

/**
 * A retrievable piece of an article: one section or part of one.
 *
 * @param id        stable id: article id, then the passage's position in the article
 * @param articleId the article it belongs to
 * @param title     the article title
 * @param heading   the section heading, empty for text before the first heading
 * @param text      the passage text (Markdown)
 */
public record Passage(String id, String articleId, String title, String heading, String text) {
}

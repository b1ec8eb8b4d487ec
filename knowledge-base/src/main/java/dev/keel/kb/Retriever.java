package dev.keel.kb;

/**
 * Anything that finds articles for a customer's question. Every implementation keeps the same
 * contract: any string gives a result (possibly empty), never an exception; each article appears at
 * most once; hits come best first; at most {@code limit} of them.
 */
public interface Retriever {
    SearchResult search(String text, int limit);
}

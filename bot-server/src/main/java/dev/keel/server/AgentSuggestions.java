package dev.keel.server;

import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.SearchHit;
import dev.keel.kb.SearchResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replies an agent could send next, drafted from the knowledge base: the passages that best match
 * the customer's latest messages, each quoted in a reply with its article as the citation. The
 * agent picks one into the composer and edits it; nothing here is ever sent by itself.
 *
 * <p>The newest customer message is searched alone, so that a suggestion fits what the customer
 * asks now, and the latest few together, so that a short "hello? anyone?" still finds what the
 * conversation is about; the hits of the search with the higher answerability come first. Each
 * article is suggested once.
 */
final class AgentSuggestions {
    /** The bot's own extractive template: a quote from the article, named by its title. */
    static final String TEMPLATE = "reply-answer";
    static final int MAX_SUGGESTIONS = 3;
    /** How many of the customer's newest messages are searched together. */
    private static final int LATEST_MESSAGES = 3;
    private static final int MAX_QUOTE_CHARS = 500;

    private final Store store;
    private final KnowledgeBase kb;
    private final Templates templates;

    AgentSuggestions(Store store, KnowledgeBase kb, Templates templates) {
        this.store = store;
        this.kb = kb;
        this.templates = templates;
    }

    JsonObject suggest(String conversationId) {
        if (store.conversation(conversationId).isEmpty()) {
            throw new ApiException(404, "conversation_not_found", "no conversation with that id");
        }
        List<String> latest = latestCustomerTexts(store.transcript(conversationId));
        List<SearchResult> results = new ArrayList<>();
        if (!latest.isEmpty()) {
            results.add(kb.search(latest.get(latest.size() - 1), MAX_SUGGESTIONS));
            if (latest.size() > 1) {
                results.add(kb.search(String.join("\n", latest), MAX_SUGGESTIONS));
            }
        }
        // the search that the knowledge base covers better goes first
        results.sort(Comparator.comparingDouble(SearchResult::answerability).reversed());
        Map<String, JsonObject> byArticle = new LinkedHashMap<>();
        results.forEach(found -> addHits(byArticle, found));
        List<JsonObject> suggestions = new ArrayList<>(byArticle.values());
        return new JsonObject().put("conversationId", conversationId)
                .put("basedOn", new JsonArray(latest))
                .put("source", "extractive")
                .put("template", templates.version(TEMPLATE))
                .put("suggestions", new JsonArray(suggestions.subList(0, Math.min(MAX_SUGGESTIONS, suggestions.size()))));
    }

    /** The customer's newest messages, oldest first, already cleaned when they were stored. */
    static List<String> latestCustomerTexts(JsonArray transcript) {
        List<String> texts = new ArrayList<>();
        for (int i = transcript.size() - 1; i >= 0 && texts.size() < LATEST_MESSAGES; i--) {
            JsonObject message = transcript.getJsonObject(i);
            String text = message.getString("text");
            if ("customer".equals(message.getString("role")) && text != null && !text.isBlank()) {
                texts.add(0, text);
            }
        }
        return texts;
    }

    private void addHits(Map<String, JsonObject> byArticle, SearchResult found) {
        if (found.queryTerms() == 0) {
            return;
        }
        for (SearchHit hit : found.hits()) {
            byArticle.computeIfAbsent(hit.articleId(), id -> suggestion(hit, found.answerability()));
        }
    }

    private JsonObject suggestion(SearchHit hit, double answerability) {
        String quote = quote(hit.passage().text());
        return new JsonObject()
                .put("text", VisitorText.clean(templates.render(TEMPLATE, Map.of("title", hit.title(), "passage", quote))))
                .put("citations", new JsonArray().add(new JsonObject().put("articleId", hit.articleId()).put("title", hit.title())))
                .put("passageId", hit.passage().id())
                .put("heading", hit.passage().heading())
                .put("answerability", ClassMetrics.round(answerability));
    }

    /** The start of a passage, cut after a sentence when it is long, so a reply stays readable. */
    static String quote(String passage) {
        String text = passage.strip();
        if (text.length() <= MAX_QUOTE_CHARS) {
            return text;
        }
        String head = text.substring(0, MAX_QUOTE_CHARS);
        int cut = Math.max(Math.max(head.lastIndexOf(". "), head.lastIndexOf(".\n")), head.lastIndexOf("\n\n"));
        return (cut > MAX_QUOTE_CHARS / 2 ? head.substring(0, cut + 1) : head).strip() + " …";
    }
}

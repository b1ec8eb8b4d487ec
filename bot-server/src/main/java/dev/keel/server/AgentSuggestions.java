package dev.keel.server;

import dev.keel.kb.KnowledgeBase;
import dev.keel.kb.SearchHit;
import dev.keel.kb.SearchResult;
import dev.keel.server.llm.Drafter;
import dev.keel.server.llm.Llm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replies an agent could send next, drafted from the knowledge base: the passages that best match
 * the customer's latest messages, each quoted in a reply with its article as the citation. The
 * agent picks one into the composer and edits it; nothing here is ever sent by itself.
 *
 * <p>The newest customer message is searched alone, so that a suggestion fits what the customer
 * asks now, and the latest few together, so that a short "hello? anyone?" still finds what the
 * conversation is about; the hits of the search with the higher answerability come first. Each
 * article is suggested once.
 *
 * <p>With a language model, a drafted reply comes first: the {@value Llm#SUGGESTED_REPLY} template
 * filled with those passages and the latest messages, checked as the bot's answers are. Without
 * one, or when the model fails, the suggestions are the quotes alone.
 */
final class AgentSuggestions {
    /** The bot's own extractive template: a quote from the article, named by its title. */
    static final String TEMPLATE = "reply-answer";
    static final int MAX_SUGGESTIONS = 3;
    /** How many of the customer's newest messages are searched together. */
    private static final int LATEST_MESSAGES = 3;
    private static final int MAX_QUOTE_CHARS = 500;
    /** How much of the conversation the model reads: the newest messages, each cut short. */
    private static final int PROMPT_MESSAGES = 10;
    private static final int PROMPT_MESSAGE_CHARS = 600;

    private final Store store;
    private final KnowledgeBase kb;
    private final Templates templates;
    private final Drafter drafter;

    AgentSuggestions(Store store, KnowledgeBase kb, Templates templates, Drafter drafter) {
        this.store = store;
        this.kb = kb;
        this.templates = templates;
        this.drafter = drafter;
    }

    JsonObject suggest(String conversationId) {
        if (store.conversation(conversationId).isEmpty()) {
            throw new ApiException(404, "conversation_not_found", "no conversation with that id");
        }
        JsonArray transcript = store.transcript(conversationId);
        List<String> latest = latestCustomerTexts(transcript);
        List<SearchResult> results = new ArrayList<>();
        if (!latest.isEmpty()) {
            results.add(kb.search(latest.get(latest.size() - 1), MAX_SUGGESTIONS));
            if (latest.size() > 1) {
                results.add(kb.search(String.join("\n", latest), MAX_SUGGESTIONS));
            }
        }
        // the search that the knowledge base covers better goes first
        results.sort(Comparator.comparingDouble(SearchResult::answerability).reversed());
        Map<String, SearchHit> byArticle = new LinkedHashMap<>();
        Map<String, Double> answerability = new LinkedHashMap<>();
        for (SearchResult found : results) {
            if (found.queryTerms() > 0) {
                found.hits().forEach(hit -> {
                    byArticle.putIfAbsent(hit.articleId(), hit);
                    answerability.putIfAbsent(hit.articleId(), found.answerability());
                });
            }
        }
        List<SearchHit> hits = byArticle.values().stream().limit(MAX_SUGGESTIONS).toList();
        List<JsonObject> suggestions = new ArrayList<>();
        if (!hits.isEmpty()) {
            drafted(transcript, hits).ifPresent(suggestions::add);
        }
        for (SearchHit hit : hits) {
            if (suggestions.size() < MAX_SUGGESTIONS) {
                suggestions.add(quoted(hit, answerability.get(hit.articleId())));
            }
        }
        return new JsonObject().put("conversationId", conversationId)
                .put("basedOn", new JsonArray(latest))
                .put("suggestions", new JsonArray(suggestions));
    }

    /** The model's draft from the passages and the conversation, if there is a model and it drafted one that passed. */
    private Optional<JsonObject> drafted(JsonArray transcript, List<SearchHit> hits) {
        String prompt = templates.render(Llm.SUGGESTED_REPLY, Map.of("passages", passages(hits), "transcript", conversation(transcript)));
        return drafter.draft(prompt, hits).map(draft -> new JsonObject()
                .put("text", VisitorText.clean(draft.text()))
                .put("citations", citations(draft.cited()))
                .put("source", "model")
                .put("template", templates.version(Llm.SUGGESTED_REPLY)));
    }

    private static String passages(List<SearchHit> hits) {
        StringBuilder out = new StringBuilder();
        for (SearchHit hit : hits) {
            out.append("<passage article=\"").append(asData(hit.articleId())).append("\" title=\"")
                    .append(asData(hit.title()).replace('"', '\'')).append("\">\n")
                    .append(asData(quote(hit.passage().text()))).append("\n</passage>\n");
        }
        return out.toString().strip();
    }

    /** The newest messages as "Customer: ..." lines; notices are left out. */
    static String conversation(JsonArray transcript) {
        List<String> lines = new ArrayList<>();
        for (int i = transcript.size() - 1; i >= 0 && lines.size() < PROMPT_MESSAGES; i--) {
            JsonObject message = transcript.getJsonObject(i);
            String who = switch (message.getString("role", "")) {
                case "customer" -> "Customer";
                case "bot" -> "Bot";
                case "agent" -> "Agent";
                default -> null;
            };
            String text = message.getString("text", "");
            if (who != null && !text.isBlank()) {
                String cut = text.length() <= PROMPT_MESSAGE_CHARS ? text : text.substring(0, PROMPT_MESSAGE_CHARS) + " …";
                lines.add(0, who + ": " + asData(cut.replaceAll("\\s+", " ")));
            }
        }
        return String.join("\n", lines);
    }

    /** Angle brackets in data become look-alikes, so the data can neither close its block nor open another. */
    private static String asData(String text) {
        return text.replace('<', '‹').replace('>', '›');
    }

    private static JsonArray citations(List<SearchHit> hits) {
        JsonArray out = new JsonArray();
        hits.forEach(hit -> out.add(new JsonObject().put("articleId", hit.articleId()).put("title", hit.title())));
        return out;
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

    private JsonObject quoted(SearchHit hit, double answerability) {
        String quote = quote(hit.passage().text());
        return new JsonObject()
                .put("text", VisitorText.clean(templates.render(TEMPLATE, Map.of("title", hit.title(), "passage", quote))))
                .put("citations", citations(List.of(hit)))
                .put("source", "extractive")
                .put("template", templates.version(TEMPLATE))
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

package dev.keel.server.llm;

import dev.keel.kb.SearchHit;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Assembles what the model reads for one turn, within a token budget: the system prompt first,
 * always; then as many of the newest earlier turns as fit, each customer message with the reply it
 * got, never half a pair; then this turn's passages and question. Customer text and passages sit
 * inside marked blocks and cannot close or forge them, so they stay data. A question too long for
 * the budget is cut, and the reply says so.
 */
final class PromptBuilder {
    static final String SYSTEM = "llm-system";
    static final String ANSWER = "llm-answer";
    /** Per message: role and framing tokens the provider adds. */
    private static final int MESSAGE_OVERHEAD_TOKENS = 4;

    private final PromptTemplates templates;
    private final String systemPrompt;
    private final int inputBudget;

    PromptBuilder(PromptTemplates templates, String canary, LlmSettings settings) {
        this.templates = templates;
        this.systemPrompt = templates.render(SYSTEM, Map.of("canary", canary));
        this.inputBudget = settings.contextTokens() - settings.replyTokens();
    }

    String systemPrompt() {
        return systemPrompt;
    }

    /** The messages for one turn, and whether the customer's text had to be cut to fit. */
    record Prompt(List<ChatMessage> messages, boolean truncated, int estimatedTokens) {
    }

    /** @return empty messages when not even the passages fit the budget */
    Prompt build(Question question) {
        String passages = passages(question.hits());
        int fixed = tokens(systemPrompt) + tokens(templates.render(ANSWER, Map.of("passages", passages, "question", "")));
        int forQuestion = inputBudget - fixed;
        if (forQuestion < 8) {
            return new Prompt(List.of(), false, fixed);
        }
        String text = asData(question.text());
        boolean truncated = tokens(text) > forQuestion;
        if (truncated) {
            text = text.substring(0, Math.max(0, (forQuestion - MESSAGE_OVERHEAD_TOKENS) * 4 - 1)).strip() + " …";
        }
        UserMessage current = UserMessage.from(templates.render(ANSWER, Map.of("passages", passages, "question", text)));
        int used = tokens(systemPrompt) + tokens(current.singleText());

        Deque<ChatMessage> kept = new ArrayDeque<>();
        List<Question.Turn> turns = question.earlierTurns();
        for (int i = turns.size() - 1; i >= 0; i--) {
            Question.Turn reply = turns.get(i);
            Question.Turn asked = i > 0 && !reply.fromCustomer() && turns.get(i - 1).fromCustomer() ? turns.get(i - 1) : null;
            List<ChatMessage> group = new ArrayList<>();
            if (asked != null) {
                group.add(customer(asked.text()));
                i--;
            }
            group.add(reply.fromCustomer() ? customer(reply.text()) : AiMessage.from(reply.text()));
            int cost = group.stream().mapToInt(m -> tokens(textOf(m))).sum();
            if (used + cost > inputBudget) {
                break;
            }
            used += cost;
            for (int j = group.size() - 1; j >= 0; j--) {
                kept.addFirst(group.get(j));
            }
        }
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(SystemMessage.from(systemPrompt));
        messages.addAll(kept);
        messages.add(current);
        return new Prompt(messages, truncated, used);
    }

    private static UserMessage customer(String text) {
        return UserMessage.from("<customer_message>\n" + asData(text) + "\n</customer_message>");
    }

    private static String passages(List<SearchHit> hits) {
        StringBuilder out = new StringBuilder();
        for (SearchHit hit : hits) {
            out.append("<passage article=\"").append(asData(hit.articleId())).append("\" title=\"")
                    .append(asData(hit.title()).replace('"', '\'')).append("\">\n")
                    .append(asData(ExtractiveAnswerer.excerpt(hit.passage().text()))).append("\n</passage>\n");
        }
        return out.toString().strip();
    }

    /** Angle brackets in data become look-alikes, so data can neither close its block nor open another. */
    static String asData(String text) {
        return text.replace('<', '‹').replace('>', '›');
    }

    /** A deliberate over-estimate (about four characters a token) so a request never exceeds the window. */
    static int tokens(String text) {
        return (text.length() + 3) / 4 + MESSAGE_OVERHEAD_TOKENS;
    }

    private static String textOf(ChatMessage message) {
        if (message instanceof UserMessage user) {
            return user.singleText();
        }
        return message instanceof AiMessage ai ? ai.text() : "";
    }
}

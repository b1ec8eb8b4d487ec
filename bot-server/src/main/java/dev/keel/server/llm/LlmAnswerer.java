package dev.keel.server.llm;

import dev.keel.kb.SearchHit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Answers with the model, grounded on the retrieved passages. Whatever goes wrong (the model is
 * down, slow, or writes something the {@link ReplyGuard} stops) the customer still gets exactly
 * one reply for the turn: the extractive answer with an offer of a person, or, when the reply
 * would have leaked the prompt, a short self-description.
 */
final class LlmAnswerer implements Answerer {
    private static final Logger LOG = LoggerFactory.getLogger(LlmAnswerer.class);
    static final String SELF_DESCRIPTION = "reply-self-description";

    private final LlmClient client;
    private final PromptBuilder prompts;
    private final PromptTemplates templates;
    private final ExtractiveAnswerer fallback;
    private final LlmSettings settings;
    private final LlmMetrics metrics;
    private final ReplyGuard.Secrets secrets;

    LlmAnswerer(LlmClient client, PromptTemplates templates, LlmSettings settings, LlmMetrics metrics, String canary) {
        this.client = client;
        this.templates = templates;
        this.settings = settings;
        this.metrics = metrics;
        this.prompts = new PromptBuilder(templates, canary, settings);
        this.fallback = new ExtractiveAnswerer(templates);
        this.secrets = new ReplyGuard.Secrets(canary, prompts.systemPrompt() + "\n"
                + templates.render(PromptBuilder.ANSWER, Map.of("passages", "", "question", "")));
    }

    @Override
    public Answer answer(Question question, ReplyStream stream) {
        PromptBuilder.Prompt prompt = prompts.build(question);
        if (prompt.messages().isEmpty()) {
            return fallback.answer(question, question.offerHuman(), List.of("LLM_CONTEXT_TOO_SMALL"));
        }
        ReplyGuard guard = new ReplyGuard(secrets, question.hits(), settings.allowedLinkHosts());
        StringBuilder shown = new StringBuilder();
        if (prompt.truncated()) {
            shown.append(templates.render("reply-truncated", Map.of())).append("\n\n");
            stream.delta(shown.toString());
        }
        try {
            client.generate(prompt.messages(), stream.live(), piece -> show(guard.accept(piece), shown, stream), stream.gone());
            show(guard.finish(), shown, stream);
        } catch (ReplyGuard.Violation violation) {
            metrics.blocked();
            LOG.warn("model reply blocked: {}", violation.getMessage());
            if (violation.reason() == ReplyGuard.Reason.PROMPT_LEAK) {
                return new Answer(templates.render(SELF_DESCRIPTION, Map.of()), List.of(), question.offerHuman(),
                        List.of("LLM_REPLY_BLOCKED"), SELF_DESCRIPTION);
            }
            return fallback.answer(question, true, List.of("LLM_FALLBACK", "LLM_UNGROUNDED"));
        } catch (LlmClient.Failure failure) {
            return fallback.answer(question, true, List.of("LLM_FALLBACK", "LLM_" + failure.error().kind().name()));
        }
        String text = shown.toString().strip();
        if (text.isEmpty()) {
            return fallback.answer(question, true, List.of("LLM_FALLBACK", "LLM_EMPTY"));
        }
        if (question.offerHuman()) {
            String offer = "\n\n" + templates.render("reply-offer-human", Map.of());
            stream.delta(offer);
            text = text + offer;
        }
        List<String> reasons = new ArrayList<>(List.of("LLM_ANSWER"));
        if (prompt.truncated()) {
            reasons.add("MESSAGE_TRUNCATED");
        }
        return new Answer(text, citations(question.hits(), guard), question.offerHuman(), reasons, PromptBuilder.ANSWER);
    }

    private static void show(String safe, StringBuilder shown, ReplyStream stream) {
        if (!safe.isEmpty()) {
            shown.append(safe);
            stream.delta(safe);
        }
    }

    /** The retrieved articles the reply cited; all retrieved ones when it cited none. */
    private static List<SearchHit> citations(List<SearchHit> hits, ReplyGuard guard) {
        List<SearchHit> cited = hits.stream().filter(h -> guard.cited().contains(h.articleId())).toList();
        return cited.isEmpty() ? hits : cited;
    }
}

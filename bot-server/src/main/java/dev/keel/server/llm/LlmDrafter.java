package dev.keel.server.llm;

import dev.keel.kb.SearchHit;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Drafts through the model with the bot's own system prompt (the same rules: facts only from the
 * passages, no promises, cite article ids) and the same {@link ReplyGuard}. One call, not streamed;
 * any failure means no draft, and the agent still has the extractive suggestions.
 */
final class LlmDrafter implements Drafter {
    private static final Logger LOG = LoggerFactory.getLogger(LlmDrafter.class);

    private final LlmClient client;
    private final LlmSettings settings;
    private final String systemPrompt;
    private final ReplyGuard.Secrets secrets;

    LlmDrafter(LlmClient client, LlmSettings settings, String systemPrompt, ReplyGuard.Secrets secrets) {
        this.client = client;
        this.settings = settings;
        this.systemPrompt = systemPrompt;
        this.secrets = secrets;
    }

    @Override
    public Optional<Draft> draft(String prompt, List<SearchHit> passages) {
        ReplyGuard guard = new ReplyGuard(secrets, passages, settings.allowedLinkHosts());
        StringBuilder text = new StringBuilder();
        try {
            client.generate(List.of(SystemMessage.from(systemPrompt), UserMessage.from(prompt)), false,
                    piece -> text.append(guard.accept(piece)), new CompletableFuture<>());
            text.append(guard.finish());
        } catch (ReplyGuard.Violation violation) {
            LOG.warn("drafted reply blocked: {}", violation.getMessage());
            return Optional.empty();
        } catch (LlmClient.Failure failure) {
            LOG.info("no drafted reply: {}", failure.getMessage());
            return Optional.empty();
        }
        String draft = text.toString().strip();
        if (draft.isEmpty()) {
            return Optional.empty();
        }
        List<SearchHit> cited = passages.stream().filter(p -> guard.cited().contains(p.articleId())).toList();
        return Optional.of(new Draft(draft, cited.isEmpty() ? passages : cited));
    }
}

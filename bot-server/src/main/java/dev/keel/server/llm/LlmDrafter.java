package dev.keel.server.llm;

import dev.keel.kb.Passage;
import dev.keel.kb.SearchHit;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Drafts through the model: replies under the bot's own system prompt (the same rules: facts only
 * from the passages, no promises, cite article ids), summaries from their template alone, both
 * through the {@link ReplyGuard}. One call, not streamed; any failure means no draft, and the agent
 * still has the extractive suggestions and summary.
 */
final class LlmDrafter implements Drafter {
    private static final Logger LOG = LoggerFactory.getLogger(LlmDrafter.class);

    private final LlmClient client;
    private final LlmSettings settings;
    private final String systemPrompt;
    private final ReplyGuard.Secrets secrets;
    private final ReplyGuard.Secrets summarySecrets;

    LlmDrafter(LlmClient client, LlmSettings settings, String systemPrompt, ReplyGuard.Secrets secrets,
               ReplyGuard.Secrets summarySecrets) {
        this.client = client;
        this.settings = settings;
        this.systemPrompt = systemPrompt;
        this.secrets = secrets;
        this.summarySecrets = summarySecrets;
    }

    @Override
    public Optional<Draft> draft(String prompt, List<SearchHit> passages) {
        ReplyGuard guard = new ReplyGuard(secrets, passages, settings.allowedLinkHosts());
        return generate(List.of(SystemMessage.from(systemPrompt), UserMessage.from(prompt)), guard, "reply").map(text -> {
            List<SearchHit> cited = passages.stream().filter(p -> guard.cited().contains(p.articleId())).toList();
            return new Draft(text, cited.isEmpty() ? passages : cited);
        });
    }

    @Override
    public Optional<String> summarise(String prompt, String conversation) {
        SearchHit source = new SearchHit("conversation", "conversation",
                new Passage("conversation", "conversation", "conversation", "", conversation), 1.0);
        return generate(List.of(UserMessage.from(prompt)), new ReplyGuard(summarySecrets, List.of(source), List.of()), "summary");
    }

    private Optional<String> generate(List<ChatMessage> messages, ReplyGuard guard, String what) {
        StringBuilder text = new StringBuilder();
        try {
            client.generate(messages, false, piece -> text.append(guard.accept(piece)), new CompletableFuture<>());
            text.append(guard.finish());
        } catch (ReplyGuard.Violation violation) {
            LOG.warn("drafted {} blocked: {}", what, violation.getMessage());
            return Optional.empty();
        } catch (LlmClient.Failure failure) {
            LOG.info("no drafted {}: {}", what, failure.getMessage());
            return Optional.empty();
        }
        String draft = text.toString().strip();
        return draft.isEmpty() ? Optional.empty() : Optional.of(draft);
    }
}

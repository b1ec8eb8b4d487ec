package dev.keel.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keel.server.llm.Drafter;
import dev.keel.server.llm.Llm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Hand-off summaries written by the language model from the {@value Llm#HANDOFF_SUMMARY} template,
 * for the agent's briefing. A summary is drafted in the background, once per conversation and
 * number of bot turns (the part of the conversation it summarises), and kept on this node, so that
 * neither a claim nor the console's reads ever wait for the model; until it is ready the briefing
 * carries the summary written from the turns' signals.
 */
final class HandoffSummaries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HandoffSummaries.class);

    /** What the briefing shows: the model's summary when ready, and whether one is on its way. */
    record Lookup(Optional<String> summary, boolean pending) {
        static final Lookup NONE = new Lookup(Optional.empty(), false);
    }

    private final Drafter drafter;
    private final Templates templates;
    private final Cache<String, Optional<String>> written = Caffeine.newBuilder()
            .maximumSize(10_000).expireAfterWrite(Duration.ofHours(12)).build();
    private final Set<String> drafting = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;

    HandoffSummaries(Drafter drafter, Templates templates) {
        this.drafter = drafter;
        this.templates = templates;
        this.workers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "keel-handoff-summaries");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The model's summary of the conversation's bot turns, if written; otherwise starts writing it.
     *
     * @param turns      the conversation's bot turns with their signals
     * @param transcript read only when a summary must be written
     */
    Lookup lookup(String conversationId, List<JsonObject> turns, Supplier<JsonArray> transcript) {
        if (!drafter.enabled() || turns.isEmpty()) {
            return Lookup.NONE;
        }
        String key = conversationId + ":" + turns.size();
        Optional<String> ready = written.getIfPresent(key);
        if (ready != null) {
            return new Lookup(ready, false);
        }
        if (drafting.add(key)) {
            String reasons = String.join(", ", turns.get(turns.size() - 1).getJsonArray("reasons", new JsonArray()).stream()
                    .map(Object::toString).toList());
            JsonArray messages = transcript.get();
            workers.execute(() -> {
                try {
                    written.put(key, write(reasons, messages));
                } catch (RuntimeException e) {
                    LOG.warn("hand-off summary failed: {}", e.toString());
                    written.put(key, Optional.empty());
                } finally {
                    drafting.remove(key);
                }
            });
        }
        return new Lookup(Optional.empty(), true);
    }

    private Optional<String> write(String reasons, JsonArray messages) {
        String conversation = AgentSuggestions.conversation(messages);
        String prompt = templates.render(Llm.HANDOFF_SUMMARY, Map.of("reasons", reasons, "transcript", conversation));
        return drafter.summarise(prompt, conversation).map(VisitorText::clean).filter(s -> !s.isBlank());
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}

package dev.keel.server.llm;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The answerer Keel runs with, chosen by {@link LlmSettings}: extractive without a model, the
 * model with the extractive answer as its fallback otherwise. Closing it stops the model's threads.
 */
public final class Llm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Llm.class);

    /** The agents' suggested-reply template; its placeholders are {@code passages} and {@code transcript}. */
    public static final String SUGGESTED_REPLY = "agent-suggested-reply";
    /** The hand-off summary template; its placeholders are {@code reasons} and {@code transcript}. */
    public static final String HANDOFF_SUMMARY = "agent-handoff-summary";

    private final Answerer answerer;
    private final Drafter drafter;
    private final LlmMetrics metrics;
    private final AutoCloseable resources;

    private Llm(Answerer answerer, Drafter drafter, LlmMetrics metrics, AutoCloseable resources) {
        this.answerer = answerer;
        this.drafter = drafter;
        this.metrics = metrics;
        this.resources = resources;
    }

    /** An answerer whose meters no one scrapes. */
    public static Llm start(LlmSettings settings, PromptTemplates templates) {
        return start(settings, templates, new SimpleMeterRegistry());
    }

    /** An answerer whose meters are registered in {@code registry}. */
    public static Llm start(LlmSettings settings, PromptTemplates templates, MeterRegistry registry) {
        LlmMetrics metrics = new LlmMetrics(registry);
        if (!settings.enabled()) {
            return new Llm(new ExtractiveAnswerer(templates), Drafter.NONE, metrics, () -> { });
        }
        Upstream upstream = new Upstream(settings);
        CircuitBreaker breaker = new CircuitBreaker(settings.breakerFailures(), settings.breakerOpenFor(), System::nanoTime);
        LlmClient client = new LlmClient(settings, upstream, breaker, metrics);
        byte[] secret = new byte[4];
        new SecureRandom().nextBytes(secret);
        String canary = "CANARY-" + HexFormat.of().formatHex(secret);
        LOG.info("answers by {} model {} at {}", settings.provider(), settings.model(), settings.baseUrl());
        String systemPrompt = templates.render(PromptBuilder.SYSTEM, Map.of("canary", canary));
        Drafter drafter = new LlmDrafter(client, settings, systemPrompt, new ReplyGuard.Secrets(canary, systemPrompt + "\n"
                + templates.render(SUGGESTED_REPLY, Map.of("passages", "", "transcript", ""))),
                new ReplyGuard.Secrets(canary, templates.render(HANDOFF_SUMMARY, Map.of("reasons", "", "transcript", ""))));
        return new Llm(new LlmAnswerer(client, templates, settings, metrics, canary), drafter, metrics, () -> {
            client.close();
            upstream.close();
        });
    }

    public Answerer answerer() {
        return answerer;
    }

    /** Drafts for agents: through the model when there is one, none otherwise. */
    public Drafter drafter() {
        return drafter;
    }

    public LlmMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }
}

package dev.keel.server.llm;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How Keel reaches a language model, read from the environment. The API key is kept out of
 * {@link #toString()} so that printing the settings, or an error that carries them, never shows it.
 *
 * @param provider          {@code openai} (any OpenAI-compatible endpoint), {@code ollama} or {@code none}
 * @param connectTimeout    TCP and TLS set-up
 * @param firstTokenTimeout from sending the request to the first text of the reply
 * @param idleTimeout       the longest silence between two pieces of a streamed reply
 * @param totalTimeout      the whole generation, retries included
 * @param maxAttempts       upstream calls per turn at most; retries happen only before the first token
 * @param contextTokens     the model's context window
 * @param replyTokens       reserved for the reply, also sent as the maximum reply length
 * @param breakerFailures   consecutive failures that open the circuit breaker
 * @param breakerOpenFor    how long an open breaker keeps upstream calls off
 * @param allowedLinkHosts  hosts a reply may link to; links elsewhere are reduced to their text
 */
public record LlmSettings(String provider, String baseUrl, String apiKey, String model,
                          Duration connectTimeout, Duration firstTokenTimeout, Duration idleTimeout,
                          Duration totalTimeout, int maxAttempts, int contextTokens, int replyTokens,
                          int breakerFailures, Duration breakerOpenFor, List<String> allowedLinkHosts) {
    public static final String NONE = "none";
    private static final List<String> PROVIDERS = List.of("openai", "ollama", NONE);
    /** Below this the system prompt, the passages and a short question no longer fit. */
    static final int MIN_CONTEXT_TOKENS = 1024;

    public LlmSettings {
        provider = provider == null || provider.isBlank() ? NONE : provider.strip().toLowerCase(Locale.ROOT);
        if (!PROVIDERS.contains(provider)) {
            throw new IllegalArgumentException("LLM_PROVIDER must be openai, ollama or none, not '" + provider + "'");
        }
        if (!NONE.equals(provider) && (model == null || model.isBlank())) {
            throw new IllegalArgumentException("LLM_MODEL is required when LLM_PROVIDER is " + provider);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("LLM_MAX_ATTEMPTS must be at least 1");
        }
        if (contextTokens < MIN_CONTEXT_TOKENS || replyTokens < 16 || replyTokens > contextTokens / 2) {
            throw new IllegalArgumentException("LLM_CONTEXT_TOKENS must be at least " + MIN_CONTEXT_TOKENS
                    + " and LLM_REPLY_TOKENS between 16 and half of it");
        }
        allowedLinkHosts = List.copyOf(allowedLinkHosts);
    }

    /** No model: every answer is extractive. */
    public static LlmSettings none() {
        return fromEnvironment(Map.of());
    }

    /** Reads {@code LLM_*} variables; unset ones take their defaults. */
    public static LlmSettings fromEnvironment(Map<String, String> env) {
        String provider = env.getOrDefault("LLM_PROVIDER", NONE);
        String defaultUrl = "ollama".equalsIgnoreCase(provider.strip()) ? "http://localhost:11434" : "https://api.openai.com/v1";
        return new LlmSettings(provider, env.getOrDefault("LLM_BASE_URL", defaultUrl), env.get("LLM_API_KEY"),
                env.get("LLM_MODEL"),
                millis(env, "LLM_CONNECT_TIMEOUT_MS", 3_000), millis(env, "LLM_FIRST_TOKEN_TIMEOUT_MS", 20_000),
                millis(env, "LLM_IDLE_TIMEOUT_MS", 30_000), millis(env, "LLM_TOTAL_TIMEOUT_MS", 60_000),
                integer(env, "LLM_MAX_ATTEMPTS", 2), integer(env, "LLM_CONTEXT_TOKENS", 8192),
                integer(env, "LLM_REPLY_TOKENS", 512), integer(env, "LLM_BREAKER_FAILURES", 5),
                millis(env, "LLM_BREAKER_OPEN_MS", 30_000),
                List.of(env.getOrDefault("LLM_ALLOWED_LINK_HOSTS", "").split("[,\\s]+")).stream()
                        .filter(h -> !h.isBlank()).map(h -> h.toLowerCase(Locale.ROOT)).toList());
    }

    public boolean enabled() {
        return !NONE.equals(provider);
    }

    @Override
    public String toString() {
        return "LlmSettings[provider=" + provider + ", baseUrl=" + baseUrl + ", model=" + model
                + ", apiKey=" + (apiKey == null || apiKey.isBlank() ? "unset" : "set") + "]";
    }

    private static Duration millis(Map<String, String> env, String name, long defaultMillis) {
        return Duration.ofMillis(integer(env, name, defaultMillis));
    }

    private static int integer(Map<String, String> env, String name, long defaultValue) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return (int) defaultValue;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + value + "'");
        }
    }
}

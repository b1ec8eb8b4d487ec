package dev.keel.server.llm;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the model's use: calls, time to first token, tokens in and out, errors by class.
 * They are kept here and read by the meter registry when it is scraped: {@code keel_llm_calls_total},
 * {@code keel_llm_in_flight}, {@code keel_llm_first_token_seconds} (a histogram),
 * {@code keel_llm_tokens_total{direction=in|out}}, {@code keel_llm_errors_total{kind}} (every kind
 * is listed, at zero until it happens) and {@code keel_llm_blocked_replies_total}.
 */
public final class LlmMetrics {
    /** Bucket bounds for the time to first token, from a model next door to a slow hosted one. */
    private static final Duration[] FIRST_TOKEN_BUCKETS = {
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(300),
            Duration.ofMillis(500), Duration.ofMillis(750), Duration.ofSeconds(1), Duration.ofMillis(1500),
            Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final LongAdder calls = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder firstTokens = new LongAdder();
    private final LongAdder firstTokenNanos = new LongAdder();
    private final LongAdder tokensIn = new LongAdder();
    private final LongAdder tokensOut = new LongAdder();
    private final LongAdder blockedReplies = new LongAdder();
    private final Map<UpstreamError.Kind, LongAdder> errors = new EnumMap<>(UpstreamError.Kind.class);
    private final Timer firstToken;

    /** Meters that no one scrapes, for a model used outside the server. */
    public LlmMetrics() {
        this(new SimpleMeterRegistry());
    }

    /** Meters registered in {@code registry}, the one {@code /metrics} serves. */
    public LlmMetrics(MeterRegistry registry) {
        for (UpstreamError.Kind kind : UpstreamError.Kind.values()) {
            LongAdder count = new LongAdder();
            errors.put(kind, count);
            FunctionCounter.builder("keel.llm.errors", count, LongAdder::sum).tag("kind", kind.name())
                    .description("Failed model calls by class of failure").register(registry);
        }
        FunctionCounter.builder("keel.llm.calls", calls, LongAdder::sum).description("Calls made to the model, retries included")
                .register(registry);
        Gauge.builder("keel.llm.in.flight", inFlight, AtomicLong::get).description("Model calls under way").register(registry);
        FunctionCounter.builder("keel.llm.tokens", tokensIn, LongAdder::sum).tag("direction", "in")
                .description("Tokens the model reported reading (prompt) and writing (reply)").register(registry);
        FunctionCounter.builder("keel.llm.tokens", tokensOut, LongAdder::sum).tag("direction", "out")
                .description("Tokens the model reported reading (prompt) and writing (reply)").register(registry);
        FunctionCounter.builder("keel.llm.blocked.replies", blockedReplies, LongAdder::sum)
                .description("Model replies replaced because they failed the output checks").register(registry);
        firstToken = Timer.builder("keel.llm.first.token").description("Time from sending a model call to its first text")
                .serviceLevelObjectives(FIRST_TOKEN_BUCKETS).register(registry);
    }

    void callStarted() {
        calls.increment();
        inFlight.incrementAndGet();
    }

    void callEnded() {
        inFlight.decrementAndGet();
    }

    void firstToken(long nanos) {
        firstTokens.increment();
        firstTokenNanos.add(nanos);
        firstToken.record(Duration.ofNanos(nanos));
    }

    void tokens(Integer in, Integer out) {
        tokensIn.add(in == null ? 0 : in);
        tokensOut.add(out == null ? 0 : out);
    }

    void error(UpstreamError.Kind kind) {
        errors.get(kind).increment();
    }

    void blocked() {
        blockedReplies.increment();
    }

    public long calls() {
        return calls.sum();
    }

    public long inFlight() {
        return inFlight.get();
    }

    public long errors(UpstreamError.Kind kind) {
        return errors.get(kind).sum();
    }

    public JsonObject snapshot() {
        JsonObject byKind = new JsonObject();
        errors.forEach((kind, count) -> byKind.put(kind.name(), count.sum()));
        long n = firstTokens.sum();
        return new JsonObject().put("calls", calls()).put("inFlight", inFlight()).put("firstTokens", n)
                .put("meanFirstTokenMs", n == 0 ? 0.0 : firstTokenNanos.sum() / 1e6 / n)
                .put("tokensIn", tokensIn.sum()).put("tokensOut", tokensOut.sum())
                .put("blockedReplies", blockedReplies.sum()).put("errors", byKind);
    }
}

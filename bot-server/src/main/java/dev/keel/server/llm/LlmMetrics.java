package dev.keel.server.llm;

import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the model's use: calls, time to first token, tokens in and out, errors by class. */
public final class LlmMetrics {
    private final LongAdder calls = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder firstTokens = new LongAdder();
    private final LongAdder firstTokenNanos = new LongAdder();
    private final LongAdder tokensIn = new LongAdder();
    private final LongAdder tokensOut = new LongAdder();
    private final LongAdder blockedReplies = new LongAdder();
    private final Map<UpstreamError.Kind, LongAdder> errors = new EnumMap<>(UpstreamError.Kind.class);

    public LlmMetrics() {
        for (UpstreamError.Kind kind : UpstreamError.Kind.values()) {
            errors.put(kind, new LongAdder());
        }
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

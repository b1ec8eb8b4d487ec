package dev.keel.server.llm;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Keeps upstream calls off for a while after the model keeps failing, so that an outage costs
 * customers no waiting and the provider no extra load. A failure that will surely repeat (quota,
 * key) opens it at once. Once the open time is over, one trial call is let through; its result
 * closes or reopens the breaker.
 */
final class CircuitBreaker {
    private final int threshold;
    private final long openNanos;
    private final LongSupplier clock;
    private int consecutiveFailures;
    private long openUntil;
    private boolean trialInFlight;
    private boolean open;

    CircuitBreaker(int threshold, Duration openFor, LongSupplier clock) {
        this.threshold = threshold;
        this.openNanos = openFor.toNanos();
        this.clock = clock;
    }

    /** Whether a call may go upstream now. */
    synchronized boolean allow() {
        if (!open) {
            return true;
        }
        if (clock.getAsLong() - openUntil >= 0 && !trialInFlight) {
            trialInFlight = true;
            return true;
        }
        return false;
    }

    synchronized void success() {
        consecutiveFailures = 0;
        open = false;
        trialInFlight = false;
    }

    synchronized void failure(UpstreamError.Kind kind) {
        consecutiveFailures++;
        if (kind.persistent() || consecutiveFailures >= threshold || trialInFlight) {
            open = true;
            openUntil = clock.getAsLong() + openNanos;
        }
        trialInFlight = false;
    }

    /** A call that ended without a verdict on the upstream (the customer left) frees the trial slot. */
    synchronized void abandoned() {
        trialInFlight = false;
    }

    synchronized boolean isOpen() {
        return open;
    }
}

package dev.keel.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * A token bucket per key (a client address, a conversation, or one key for everyone): each key may
 * spend {@code permits} at once and gets them back evenly over {@code period}. Idle keys are
 * forgotten, and at most {@value #MAX_KEYS} are remembered, so that a flood of new keys cannot
 * exhaust memory. Limits are per node.
 */
final class RateLimiter {
    private static final int MAX_KEYS = 200_000;

    private final int permits;
    private final Duration period;
    private final Cache<String, Bucket> buckets;

    /** @param permits 0 for no limit */
    RateLimiter(int permits, Duration period) {
        this.permits = permits;
        this.period = period;
        this.buckets = Caffeine.newBuilder().maximumSize(MAX_KEYS).expireAfterAccess(period.multipliedBy(2)).build();
    }

    /**
     * Spends one permit of this key.
     *
     * @return empty when allowed, else the whole seconds to wait before the next permit
     */
    OptionalLong tryAcquire(String key) {
        if (permits <= 0) {
            return OptionalLong.empty();
        }
        Bucket bucket = buckets.get(key, k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(permits).refillGreedy(permits, period)).build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds() + 1));
    }
}

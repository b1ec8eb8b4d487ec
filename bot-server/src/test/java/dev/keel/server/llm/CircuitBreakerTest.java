package dev.keel.server.llm;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The breaker's states, on a clock the test moves. */
class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(30), now::get);

    @Test
    void opensAfterConsecutiveFailuresAndLetsOneTrialThroughLater() {
        breaker.failure(UpstreamError.Kind.SERVER);
        breaker.failure(UpstreamError.Kind.SERVER);
        assertThat(breaker.allow()).isTrue();
        breaker.failure(UpstreamError.Kind.SERVER);
        assertThat(breaker.allow()).isFalse();

        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(breaker.allow()).isTrue();
        assertThat(breaker.allow()).as("only one trial at a time").isFalse();
        breaker.success();
        assertThat(breaker.isOpen()).isFalse();
        assertThat(breaker.allow()).isTrue();
    }

    @Test
    void aQuotaOrKeyFailureOpensAtOnceAndAFailedTrialReopens() {
        breaker.failure(UpstreamError.Kind.QUOTA_EXHAUSTED);
        assertThat(breaker.allow()).isFalse();
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(breaker.allow()).isTrue();
        breaker.failure(UpstreamError.Kind.SERVER);
        assertThat(breaker.allow()).isFalse();
    }

    @Test
    void anAbandonedTrialFreesTheSlot() {
        breaker.failure(UpstreamError.Kind.AUTH);
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(breaker.allow()).isTrue();
        breaker.abandoned();
        assertThat(breaker.allow()).isTrue();
    }
}

package dev.keel.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rate limiter per key and the cap on concurrent expensive calls. */
class LimitersTest {
    @Test
    void aKeySpendsItsPermitsThenWaitsWhileOtherKeysCarryOn() {
        RateLimiter limiter = new RateLimiter(3, Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("10.0.0.1")).isEmpty();
        }
        assertThat(limiter.tryAcquire("10.0.0.1").orElseThrow()).isPositive();
        assertThat(limiter.tryAcquire("10.0.0.2")).isEmpty();
        RateLimiter off = new RateLimiter(0, Duration.ofSeconds(1));
        for (int i = 0; i < 1000; i++) {
            assertThat(off.tryAcquire("any")).isEmpty();
        }
    }

    @Test
    void oneCallTooManyIsRefusedAt429AndAPlaceFreesWhenACallEnds() {
        CallLimiter limiter = new CallLimiter(1, "language-model");
        String inner = limiter.call(() -> {
            assertThatThrownBy(() -> limiter.call(() -> "second")).isInstanceOfSatisfying(TooManyRequests.class, e -> {
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.retryAfterSeconds()).isPositive();
            });
            return "first";
        });
        assertThat(inner).isEqualTo("first");
        assertThat(limiter.call(() -> "again")).isEqualTo("again");
    }

    @Test
    void theClientAddressIsBelievedFromTrustedProxiesOnly() {
        java.util.Set<String> proxies = java.util.Set.of("10.0.0.5", "10.0.0.6");
        assertThat(EdgePolicy.clientAddress("203.0.113.9", java.util.List.of("198.51.100.1"), proxies)).isEqualTo("203.0.113.9");
        assertThat(EdgePolicy.clientAddress("10.0.0.5", java.util.List.of("198.51.100.1"), proxies)).isEqualTo("198.51.100.1");
        assertThat(EdgePolicy.clientAddress("10.0.0.5", java.util.List.of("6.6.6.6, 198.51.100.1, 10.0.0.6"), proxies))
                .isEqualTo("198.51.100.1");
        assertThat(EdgePolicy.clientAddress("10.0.0.5", java.util.List.of(), proxies)).isEqualTo("10.0.0.5");
    }

    @Test
    void onlyExactWebOriginsMayBeAllowed() {
        assertThat(EdgePolicy.checkOrigin("https://Shop.Example.com:8443")).isEqualTo("https://shop.example.com:8443");
        for (String bad : new String[]{"*", "null", "https://shop.example.com/", "shop.example.com", "file:///x",
                "https://shop.example.com/path", "https://user@shop.example.com"}) {
            assertThatThrownBy(() -> EdgePolicy.checkOrigin(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

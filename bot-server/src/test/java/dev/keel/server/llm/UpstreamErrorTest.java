package dev.keel.server.llm;

import dev.langchain4j.exception.RateLimitException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which upstream errors are worth another attempt, read through LangChain4j's exception wrapping. */
class UpstreamErrorTest {
    private static UpstreamError classify(int status, String body, Map<String, List<String>> headers) {
        UpstreamHttpClient.ErrorResponse response = new UpstreamHttpClient.ErrorResponse(status, body,
                HttpHeaders.of(headers, (a, b) -> true));
        return UpstreamError.classify(new RateLimitException(response));
    }

    @Test
    void aRateLimitIsRetriedAfterTheWaitTheServerAsksFor() {
        UpstreamError error = classify(429, "{\"error\":{\"code\":\"rate_limit_exceeded\"}}", Map.of("Retry-After", List.of("2")));
        assertThat(error.kind()).isEqualTo(UpstreamError.Kind.RATE_LIMITED);
        assertThat(error.kind().retryable()).isTrue();
        assertThat(error.retryAfter()).contains(Duration.ofSeconds(2));
    }

    @Test
    void anExhaustedQuotaIsA429ThatIsNeverRetried() {
        UpstreamError error = classify(429, "{\"error\":{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}", Map.of());
        assertThat(error.kind()).isEqualTo(UpstreamError.Kind.QUOTA_EXHAUSTED);
        assertThat(error.kind().retryable()).isFalse();
    }

    @Test
    void statusesAndTransportFailuresFallIntoTheirClasses() {
        assertThat(classify(401, "", Map.of()).kind()).isEqualTo(UpstreamError.Kind.AUTH);
        assertThat(classify(400, "", Map.of()).kind()).isEqualTo(UpstreamError.Kind.BAD_REQUEST);
        assertThat(classify(503, "", Map.of("retry-after-ms", List.of("1500"))).retryAfter()).contains(Duration.ofMillis(1500));
        assertThat(UpstreamError.classify(new RuntimeException(new IOException("Connection reset"))).kind())
                .isEqualTo(UpstreamError.Kind.TRANSPORT);
        assertThat(UpstreamError.Kind.TRANSPORT.retryable()).isFalse();
        assertThat(classify(500, "", Map.of()).retryAfter()).isEqualTo(Optional.empty());
    }
}

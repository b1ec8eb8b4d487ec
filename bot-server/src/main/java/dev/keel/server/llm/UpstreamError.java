package dev.keel.server.llm;

import dev.langchain4j.exception.HttpException;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Why an upstream attempt failed, in the classes that decide what happens next. Only rate limits
 * and server errors are worth another attempt; an exhausted quota or a refused key will fail the
 * same way again, so they are never retried and they open the circuit breaker at once.
 *
 * @param retryAfter what the server asked us to wait, if it said
 */
public record UpstreamError(Kind kind, Optional<Duration> retryAfter, String detail) {

    public enum Kind {
        RATE_LIMITED, QUOTA_EXHAUSTED, AUTH, BAD_REQUEST, SERVER, FIRST_TOKEN_TIMEOUT, IDLE_TIMEOUT, TOTAL_TIMEOUT,
        TRANSPORT, MALFORMED, EMPTY, CANCELLED, CIRCUIT_OPEN;

        /** Worth another attempt, as long as no text has reached the customer yet. */
        public boolean retryable() {
            return this == RATE_LIMITED || this == SERVER;
        }

        /** Will fail again until someone changes the account or the key. */
        boolean persistent() {
            return this == QUOTA_EXHAUSTED || this == AUTH;
        }
    }

    static UpstreamError of(Kind kind, String detail) {
        return new UpstreamError(kind, Optional.empty(), detail);
    }

    /** Reads LangChain4j's exception (and the HTTP response under it, when there is one). */
    static UpstreamError classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HttpException http) {
                return fromStatus(http);
            }
            if (t instanceof HttpTimeoutException || t instanceof dev.langchain4j.exception.TimeoutException) {
                return of(Kind.FIRST_TOKEN_TIMEOUT, "no response headers in time");
            }
            if (t instanceof CancellationException) {
                return of(Kind.CANCELLED, "cancelled");
            }
            if (t instanceof com.fasterxml.jackson.core.JsonProcessingException) {
                return of(Kind.MALFORMED, "unreadable response: " + t.getClass().getSimpleName());
            }
            if (t instanceof IOException) {
                return of(Kind.TRANSPORT, t.getClass().getSimpleName());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return of(Kind.MALFORMED, failure.getClass().getSimpleName());
    }

    private static UpstreamError fromStatus(HttpException http) {
        int status = http.statusCode();
        String body = http.getMessage() == null ? "" : http.getMessage().toLowerCase(Locale.ROOT);
        Optional<Duration> retryAfter = http instanceof UpstreamHttpClient.ErrorResponse response
                ? retryAfter(response.headers()) : Optional.empty();
        String detail = "HTTP " + status;
        if (status == 429) {
            boolean quota = body.contains("insufficient_quota") || body.contains("quota_exceeded")
                    || body.contains("billing") || body.contains("out of credit");
            return quota ? of(Kind.QUOTA_EXHAUSTED, detail) : new UpstreamError(Kind.RATE_LIMITED, retryAfter, detail);
        }
        if (status == 401 || status == 403) {
            return of(Kind.AUTH, detail);
        }
        if (status >= 500) {
            return new UpstreamError(Kind.SERVER, retryAfter, detail);
        }
        return of(Kind.BAD_REQUEST, detail);
    }

    /** {@code Retry-After} in seconds or as an HTTP date, or OpenAI's {@code retry-after-ms}. */
    static Optional<Duration> retryAfter(java.net.http.HttpHeaders headers) {
        Optional<String> millis = headers.firstValue("retry-after-ms");
        try {
            if (millis.isPresent()) {
                return Optional.of(Duration.ofMillis((long) Double.parseDouble(millis.get().strip())));
            }
            Optional<String> value = headers.firstValue("retry-after");
            if (value.isEmpty()) {
                return Optional.empty();
            }
            String v = value.get().strip();
            if (v.chars().allMatch(Character::isDigit)) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            }
            Duration until = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty();
        }
    }
}

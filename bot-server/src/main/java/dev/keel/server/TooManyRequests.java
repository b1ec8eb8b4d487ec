package dev.keel.server;

/** A 429 refusal that tells the client, in {@code Retry-After}, how many seconds to wait. */
final class TooManyRequests extends ApiException {
    private final long retryAfterSeconds;

    TooManyRequests(String code, String message, long retryAfterSeconds) {
        super(429, code, message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

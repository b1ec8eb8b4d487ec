package dev.keel.server;

import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * A cap on calls that are expensive to run at once, such as language-model calls: at most
 * {@code limit} run together on this node, and one more is refused at once with 429 and a
 * {@code Retry-After} hint rather than queued, so a flood cannot pile up waiting threads.
 */
final class CallLimiter {
    private static final long RETRY_AFTER_SECONDS = 2;

    private final Semaphore permits;
    private final String what;

    /** @param what the kind of call, for the error message (for example "language-model") */
    CallLimiter(int limit, String what) {
        this.permits = new Semaphore(limit);
        this.what = what;
    }

    /**
     * Runs the call if a place is free.
     *
     * @throws TooManyRequests when {@code limit} calls are already running
     */
    <T> T call(Supplier<T> work) {
        if (!permits.tryAcquire()) {
            throw new TooManyRequests("busy", "too many " + what + " calls are running; try again shortly", RETRY_AFTER_SECONDS);
        }
        try {
            return work.get();
        } finally {
            permits.release();
        }
    }
}

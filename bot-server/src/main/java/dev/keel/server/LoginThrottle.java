package dev.keel.server;

import java.time.Duration;

/**
 * Slows password guessing: failed sign-ins are counted in Redis per account name and per client
 * address over a window of {@link #WINDOW}; past the limit further attempts are refused with 429
 * until the window ends, on every node alike. A successful sign-in clears the account's count.
 * Calls block: run them off the event loop.
 */
final class LoginThrottle {
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final int PER_ACCOUNT = 10;
    static final int PER_ADDRESS = 50;

    private final Store store;

    LoginThrottle(Store store) {
        this.store = store;
    }

    /** @throws TooManyRequests when this account or this address has failed too often lately */
    void check(String name, String address) {
        refuseIfOver(accountKey(name), PER_ACCOUNT);
        refuseIfOver(addressKey(address), PER_ADDRESS);
    }

    void failed(String name, String address) {
        count(accountKey(name));
        count(addressKey(address));
    }

    void succeeded(String name) {
        store.call(j -> j.del(accountKey(name)));
    }

    private void refuseIfOver(String key, int limit) {
        String failures = store.call(j -> j.get(key));
        if (failures != null && Long.parseLong(failures) >= limit) {
            long ttl = store.call(j -> j.ttl(key));
            throw new TooManyRequests("too_many_sign_in_attempts", "too many failed sign-ins; try again later",
                    Math.max(1, ttl));
        }
    }

    private void count(String key) {
        store.call(j -> {
            long failures = j.incr(key);
            if (failures == 1) {
                j.expire(key, WINDOW.toSeconds());
            }
            return failures;
        });
    }

    /** Names are hashed into the key, so that whatever a caller types never becomes a Redis key as such. */
    private static String accountKey(String name) {
        return "keel:login-failures:account:" + Sessions.sha256(String.valueOf(name));
    }

    private static String addressKey(String address) {
        return "keel:login-failures:address:" + address;
    }
}

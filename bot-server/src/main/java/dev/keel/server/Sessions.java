package dev.keel.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Console sessions in Redis under {@code keel:session:{sha256 of the session id}} (hash: account,
 * role, CSRF token) with an expiry, so that a stolen copy of Redis holds no usable session id and
 * every node sees every session. Calls block: run them off the event loop.
 */
final class Sessions {
    /**
     * A live session.
     *
     * @param csrfToken what unsafe requests of this session must send in {@code X-CSRF-Token}
     */
    record Session(String id, Accounts.Account account, String csrfToken) {
    }

    private final Store store;
    private final Duration ttl;
    private final SecureRandom random = new SecureRandom();

    Sessions(Store store, Duration ttl) {
        this.store = store;
        this.ttl = ttl;
    }

    Duration ttl() {
        return ttl;
    }

    Session open(Accounts.Account account) {
        Session session = new Session(secret(), account, secret());
        String key = key(session.id());
        store.call(j -> {
            j.hset(key, Map.of("account", account.name(), "role", account.role().label(), "csrf", session.csrfToken()));
            return j.expire(key, ttl.toSeconds());
        });
        return session;
    }

    Optional<Session> find(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            return Optional.empty();
        }
        Map<String, String> fields = store.call(j -> j.hgetAll(key(id)));
        if (fields.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Session(id, new Accounts.Account(fields.get("account"), Role.parse(fields.get("role"))),
                fields.get("csrf")));
    }

    void close(String id) {
        store.call(j -> j.del(key(id)));
    }

    private String secret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String key(String id) {
        return "keel:session:" + sha256(id);
    }

    static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.keel.server;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Agent and admin accounts, kept in Redis under {@code keel:account:{name}} (hash: role, bcrypt
 * password hash, who created it and when) with the set of names in {@code keel:accounts}. Passwords
 * are hashed with bcrypt (cost {@value #COST}); an unknown name costs as much time to check as a
 * known one, so timing does not tell which names exist. Calls block: run them off the event loop.
 */
final class Accounts {
    static final int MIN_PASSWORD_CHARS = 12;
    /** bcrypt reads at most 72 bytes of a password; longer ones are refused rather than cut silently. */
    static final int MAX_PASSWORD_BYTES = 72;
    private static final int COST = 12;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._@-]{0,63}");
    private static final String NAMES = "keel:accounts";
    /** Compared against when the name is unknown, to spend the same time as a real check. */
    private static final byte[] DUMMY_HASH = BCrypt.withDefaults().hash(COST, "not a real password".toCharArray());

    /** A signed-in person's name and role. */
    record Account(String name, Role role) {
    }

    private final Store store;

    Accounts(Store store) {
        this.store = store;
    }

    private static String key(String name) {
        return "keel:account:" + name;
    }

    /**
     * Creates an account.
     *
     * @param createdBy who creates it, for the record
     * @throws ApiException 400 for a bad name or a weak password, 409 when the name is taken
     */
    Account create(String name, String password, Role role, String createdBy) {
        checkName(name);
        checkPassword(password);
        String hash = new String(BCrypt.withDefaults().hash(COST, password.toCharArray()), StandardCharsets.US_ASCII);
        Map<String, String> fields = Map.of("role", role.label(), "passwordHash", hash,
                "createdBy", createdBy, "createdAt", Long.toString(System.currentTimeMillis()));
        boolean created = store.call(j -> {
            if (j.hsetnx(key(name), "role", role.label()) == 0) {
                return false;
            }
            j.hset(key(name), fields);
            j.sadd(NAMES, name);
            return true;
        });
        if (!created) {
            throw new ApiException(409, "account_exists", "an account with that name exists");
        }
        return new Account(name, role);
    }

    /** The account whose name and password these are, if they are; disabled accounts never sign in. */
    Optional<Account> check(String name, String password) {
        Map<String, String> fields = name == null || !NAME.matcher(name).matches() ? Map.of()
                : store.call(j -> j.hgetAll(key(name)));
        String hash = fields.get("passwordHash");
        boolean known = hash != null && !"true".equals(fields.get("disabled"));
        byte[] against = known ? hash.getBytes(StandardCharsets.US_ASCII) : DUMMY_HASH;
        boolean matches = password != null && password.getBytes(StandardCharsets.UTF_8).length <= MAX_PASSWORD_BYTES
                && BCrypt.verifyer().verify(password.toCharArray(), against).verified;
        return known && matches ? Optional.of(new Account(name, Role.parse(fields.get("role")))) : Optional.empty();
    }

    /** Whether any enabled admin account exists. */
    boolean anyAdmin() {
        return list().stream().anyMatch(a -> Role.ADMIN.label().equals(a.getString("role")) && !a.getBoolean("disabled"));
    }

    /** Every account, without its password hash. */
    List<JsonObject> list() {
        return store.call(j -> {
            List<JsonObject> out = new ArrayList<>();
            for (String name : new java.util.TreeSet<>(j.smembers(NAMES))) {
                Map<String, String> f = j.hgetAll(key(name));
                if (!f.isEmpty()) {
                    out.add(new JsonObject().put("name", name).put("role", f.get("role"))
                            .put("createdBy", f.get("createdBy")).put("createdAt", Long.parseLong(f.getOrDefault("createdAt", "0")))
                            .put("disabled", "true".equals(f.get("disabled"))));
                }
            }
            return out;
        });
    }

    /** Disables an account so it can no longer sign in; its sessions end at their next use. */
    void disable(String name) {
        boolean existed = store.call(j -> {
            if (!j.exists(key(name))) {
                return false;
            }
            j.hset(key(name), "disabled", "true");
            return true;
        });
        if (!existed) {
            throw new ApiException(404, "account_not_found", "no account with that name");
        }
    }

    /** Whether the account may still act (it exists and is not disabled). */
    boolean active(String name) {
        Map<String, String> fields = store.call(j -> j.hgetAll(key(name)));
        return !fields.isEmpty() && !"true".equals(fields.get("disabled"));
    }

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ApiException(400, "invalid_name", "a name is 1 to 64 lower-case letters, digits or . _ @ -, starting with a letter or digit");
        }
    }

    static void checkPassword(String password) {
        if (password == null || password.codePointCount(0, password.length()) < MIN_PASSWORD_CHARS) {
            throw new ApiException(400, "weak_password", "a password has at least " + MIN_PASSWORD_CHARS + " characters");
        }
        if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new ApiException(400, "password_too_long", "a password has at most " + MAX_PASSWORD_BYTES + " bytes in UTF-8");
        }
    }
}

package dev.keel.server;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Who changed what in Keel, and when: one JSON entry per admin change, newest first, in the Redis
 * list {@code keel:admin-audit} (the newest {@value #KEPT} are kept). Calls block: run them off the event loop.
 */
final class AuditLog {
    private static final String KEY = "keel:admin-audit";
    private static final int KEPT = 100_000;

    private final Store store;

    AuditLog(Store store) {
        this.store = store;
    }

    /**
     * Records a change.
     *
     * @param actor   the account (or {@code system}) that made it
     * @param action  a stable verb such as {@code account.create}
     * @param target  what it was made to, such as the account name
     * @param details anything else worth keeping (never a secret)
     */
    void record(String actor, String action, String target, JsonObject details) {
        JsonObject entry = new JsonObject().put("at", System.currentTimeMillis()).put("actor", actor)
                .put("action", action).put("target", target).put("details", details == null ? new JsonObject() : details);
        store.call(j -> {
            j.lpush(KEY, entry.encode());
            return j.ltrim(KEY, 0, KEPT - 1L);
        });
    }

    List<JsonObject> recent(int limit) {
        List<JsonObject> out = new ArrayList<>();
        store.call(j -> j.lrange(KEY, 0, limit - 1L)).forEach(e -> out.add(new JsonObject(e)));
        return out;
    }
}

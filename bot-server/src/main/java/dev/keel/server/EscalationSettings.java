package dev.keel.server;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The escalation thresholds and retention playbooks in force, which an admin may change while Keel
 * runs. The configured values (options, environment, file) are the defaults; an admin's change is
 * kept in Redis ({@value #KEY}: a hash of {@code version}, {@code thresholds}, {@code playbooks},
 * {@code updatedBy}, {@code updatedAt}), so every node applies it. Each node re-reads the hash when
 * its copy is older than {@value #CACHE_MILLIS} ms, and at once after a change it made itself.
 * When Redis cannot be read the last values read stay in force, so turns never fail on settings.
 *
 * <p>Only the policy's thresholds change live; the queue's timings and the business hours stay as configured.
 */
final class EscalationSettings {
    private static final Logger LOG = LoggerFactory.getLogger(EscalationSettings.class);
    static final String KEY = "keel:settings:escalation";
    static final long CACHE_MILLIS = 2000;
    private static final int MAX_PLAYBOOKS = 50;
    private static final int MAX_STEPS = 20;
    private static final int MAX_TEXT = 500;
    private static final Set<String> BANDS = Set.of("HIGH", "MEDIUM", "LOW", "UNKNOWN", "*");
    private static final Set<String> INTENTS = Set.of("churn", "human", "complaint", "other", "*");

    /** A threshold an admin may change: its name in JSON, its range, and whether it counts messages. */
    private record Threshold(String name, double min, double max, boolean whole) {
    }

    private static final List<Threshold> THRESHOLDS = List.of(
            new Threshold("minAnswerability", 0, 1, false),
            new Threshold("offTopicBelow", 0, 1, false),
            new Threshold("frustrationThreshold", 0, 1, false),
            new Threshold("frustrationHighRisk", 0, 1, false),
            new Threshold("repeatsBeforeHandoff", 1, 100, true),
            new Threshold("failuresBeforeHandoff", 1, 100, true),
            new Threshold("failuresHighRisk", 1, 100, true));

    /** Stores a change only if the stored version is the one the change was based on (ARGV[1], '' for any). */
    private static final String SAVE = """
            local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
            if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return -1 end
            redis.call('HSET', KEYS[1], 'version', current + 1, 'thresholds', ARGV[2], 'playbooks', ARGV[3],
              'updatedBy', ARGV[4], 'updatedAt', ARGV[5])
            return current + 1
            """;

    /** The values in force: the configuration with the admin's thresholds, and the playbooks. */
    record Live(EscalationConfig config, JsonArray playbooks, long version, String updatedBy, Long updatedAt) {
    }

    private final Store store;
    private final EscalationConfig configured;
    private final JsonArray configuredPlaybooks;
    private volatile Live cached;
    /** When Redis was last read, epoch millis; 0 to read it at the next call. */
    private volatile long readAt;

    EscalationSettings(Store store, EscalationConfig configured, JsonArray configuredPlaybooks) {
        this.store = store;
        this.configured = configured;
        this.configuredPlaybooks = checkPlaybooks(configuredPlaybooks, (field, message) -> new IllegalStateException(message));
        this.cached = new Live(configured, this.configuredPlaybooks, 0, null, null);
    }

    EscalationConfig config() {
        return current().config();
    }

    JsonArray playbooks() {
        return current().playbooks();
    }

    Live current() {
        long now = System.currentTimeMillis();
        if (now - readAt < CACHE_MILLIS) {
            return cached;
        }
        try {
            Map<String, String> stored = store.call(j -> j.hgetAll(KEY));
            cached = stored.isEmpty() ? new Live(configured, configuredPlaybooks, 0, null, null) : fromStored(stored);
        } catch (JedisException | IllegalArgumentException e) {
            LOG.warn("escalation settings could not be read; keeping the last ones: {}", e.toString());
        }
        readAt = now;
        return cached;
    }

    /** The settings in force and the configured defaults, as the admin API shows them. */
    JsonObject view() {
        Live live = current();
        return new JsonObject().put("version", live.version()).put("updatedBy", live.updatedBy())
                .put("updatedAt", live.updatedAt())
                .put("thresholds", thresholds(live.config())).put("playbooks", live.playbooks().copy())
                .put("defaults", new JsonObject().put("thresholds", thresholds(configured))
                        .put("playbooks", configuredPlaybooks.copy()));
    }

    /**
     * Applies an admin's change: {@code thresholds} (any of them) and {@code playbooks} (the whole
     * list), each optional, and optionally the {@code version} it was based on.
     *
     * @throws ApiException 400 naming the field that is wrong, 409 when another change came first
     */
    Live update(JsonObject body, String actor) {
        for (String field : body.fieldNames()) {
            if (!Set.of("thresholds", "playbooks", "version").contains(field)) {
                throw new ApiException(400, "invalid_settings", "unknown field '" + field + "'; the fields are thresholds, playbooks, version");
            }
        }
        Object version = body.getValue("version");
        if (version != null && !(version instanceof Integer || version instanceof Long)) {
            throw new ApiException(400, "invalid_version", "version must be the settings version you edited");
        }
        Live base = current();
        JsonObject merged = thresholds(base.config());
        Object changes = body.getValue("thresholds");
        if (changes != null) {
            if (!(changes instanceof JsonObject given)) {
                throw new ApiException(400, "invalid_thresholds", "thresholds must be an object of threshold values");
            }
            for (String name : given.fieldNames()) {
                Threshold threshold = THRESHOLDS.stream().filter(t -> t.name().equals(name)).findFirst()
                        .orElseThrow(() -> new ApiException(400, "invalid_thresholds", "unknown threshold '" + name
                                + "'; the thresholds are " + String.join(", ", THRESHOLDS.stream().map(Threshold::name).toList())));
                merged.put(name, checkThreshold(threshold, given.getValue(name)));
            }
        }
        JsonArray playbooks = body.containsKey("playbooks")
                ? checkPlaybooks(body.getValue("playbooks"), (field, message) -> new ApiException(400, "invalid_playbooks", message))
                : base.playbooks();
        long now = System.currentTimeMillis();
        Object saved = store.call(j -> j.eval(SAVE, List.of(KEY), List.of(version == null ? "" : version.toString(),
                merged.encode(), playbooks.encode(), actor, Long.toString(now))));
        if (((Number) saved).longValue() < 0) {
            throw new ApiException(409, "version_conflict", "the settings were changed by someone else since version "
                    + version + "; reload them and apply your change again");
        }
        readAt = 0;
        return current();
    }

    /** Goes back to the configured values on every node. */
    Live reset() {
        store.call(j -> j.del(KEY));
        readAt = 0;
        return current();
    }

    static JsonObject thresholds(EscalationConfig c) {
        return new JsonObject().put("minAnswerability", c.minAnswerability()).put("offTopicBelow", c.offTopicBelow())
                .put("frustrationThreshold", c.frustrationThreshold()).put("frustrationHighRisk", c.frustrationHighRisk())
                .put("repeatsBeforeHandoff", c.repeatsBeforeHandoff()).put("failuresBeforeHandoff", c.failuresBeforeHandoff())
                .put("failuresHighRisk", c.failuresHighRisk());
    }

    /** Refuses a configuration whose thresholds are out of range, naming the option. */
    static void check(EscalationConfig config) {
        JsonObject values = thresholds(config);
        for (Threshold t : THRESHOLDS) {
            double v = values.getDouble(t.name());
            if (v < t.min() || v > t.max()) {
                String option = "--" + t.name().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
                throw new IllegalArgumentException(option + " must be from " + format(t.min()) + " to " + format(t.max())
                        + ", not " + format(v));
            }
        }
        if (config.auditEntries() < 100) {
            throw new IllegalArgumentException("--audit-entries must be at least 100");
        }
    }

    private Live fromStored(Map<String, String> stored) {
        JsonObject t = new JsonObject(stored.getOrDefault("thresholds", "{}"));
        EscalationConfig c = configured;
        EscalationConfig config = new EscalationConfig(t.getDouble("minAnswerability", c.minAnswerability()),
                t.getDouble("offTopicBelow", c.offTopicBelow()), t.getDouble("frustrationThreshold", c.frustrationThreshold()),
                t.getDouble("frustrationHighRisk", c.frustrationHighRisk()),
                t.getInteger("repeatsBeforeHandoff", c.repeatsBeforeHandoff()),
                t.getInteger("failuresBeforeHandoff", c.failuresBeforeHandoff()),
                t.getInteger("failuresHighRisk", c.failuresHighRisk()), c.leaseSeconds(), c.presenceSeconds(),
                c.handlingMinutes(), c.agingPerMinute(), c.auditEntries(), c.hours());
        String playbooks = stored.get("playbooks");
        String updatedAt = stored.get("updatedAt");
        return new Live(config, playbooks == null ? configuredPlaybooks : new JsonArray(playbooks),
                Long.parseLong(stored.getOrDefault("version", "0")), stored.get("updatedBy"),
                updatedAt == null ? null : Long.parseLong(updatedAt));
    }

    private static Number checkThreshold(Threshold t, Object value) {
        String code = "invalid_" + t.name().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        if (!(value instanceof Number number)) {
            throw new ApiException(400, code, t.name() + " must be a number");
        }
        double v = number.doubleValue();
        if (Double.isNaN(v) || v < t.min() || v > t.max() || (t.whole() && v != Math.rint(v))) {
            throw new ApiException(400, code, t.name() + " must be " + (t.whole() ? "a whole number" : "a number")
                    + " from " + format(t.min()) + " to " + format(t.max()));
        }
        return t.whole() ? (Number) (int) v : (Number) v;
    }

    /**
     * Checks a list of playbooks: each has a {@code band}, an {@code intent}, one or more
     * {@code steps} and optionally an {@code offer} {@code {"text", "minMonthlyCharges"}}.
     */
    static <E extends RuntimeException> JsonArray checkPlaybooks(Object value, BiFunction<String, String, E> error) {
        if (!(value instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_PLAYBOOKS) {
            throw error.apply("playbooks", "playbooks must be a list of 1 to " + MAX_PLAYBOOKS + " playbooks");
        }
        JsonArray out = new JsonArray();
        for (int i = 0; i < list.size(); i++) {
            String at = "playbooks[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject p)) {
                throw error.apply(at, at + " must be an object with band, intent and steps");
            }
            for (String field : p.fieldNames()) {
                if (!Set.of("band", "intent", "steps", "offer").contains(field)) {
                    throw error.apply(at + "." + field, at + ": unknown field '" + field + "'; the fields are band, intent, steps, offer");
                }
            }
            String band = p.getValue("band") instanceof String b ? b.strip().toUpperCase(Locale.ROOT) : null;
            if (band == null || !BANDS.contains(band)) {
                throw error.apply(at + ".band", at + ".band must be one of HIGH, MEDIUM, LOW, UNKNOWN or *");
            }
            String intent = p.getValue("intent") instanceof String s ? s.strip().toLowerCase(Locale.ROOT) : null;
            if (intent == null || !INTENTS.contains(intent)) {
                throw error.apply(at + ".intent", at + ".intent must be one of churn, human, complaint, other or *");
            }
            if (!(p.getValue("steps") instanceof JsonArray steps) || steps.isEmpty() || steps.size() > MAX_STEPS
                    || steps.stream().anyMatch(s -> !(s instanceof String text) || text.isBlank() || text.length() > MAX_TEXT)) {
                throw error.apply(at + ".steps", at + ".steps must be a list of 1 to " + MAX_STEPS + " texts of at most "
                        + MAX_TEXT + " characters");
            }
            JsonObject clean = new JsonObject().put("band", band).put("intent", intent)
                    .put("steps", new JsonArray(steps.stream().map(s -> VisitorText.clean(((String) s).strip())).toList()));
            Object offer = p.getValue("offer");
            if (offer != null) {
                if (!(offer instanceof JsonObject o) || !(o.getValue("text") instanceof String text) || text.isBlank()
                        || text.length() > MAX_TEXT) {
                    throw error.apply(at + ".offer", at + ".offer must be an object with a text of at most " + MAX_TEXT + " characters");
                }
                Object min = o.getValue("minMonthlyCharges", 0);
                if (!(min instanceof Number n) || n.doubleValue() < 0) {
                    throw error.apply(at + ".offer", at + ".offer.minMonthlyCharges must be a number of at least 0");
                }
                clean.put("offer", new JsonObject().put("text", VisitorText.clean(text.strip())).put("minMonthlyCharges", n.doubleValue()));
            }
            out.add(clean);
        }
        return out;
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}

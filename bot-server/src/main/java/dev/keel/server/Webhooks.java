package dev.keel.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Outbound webhooks: a high-risk customer opened a chat ({@code customer.high_risk}), a hand-off
 * was created ({@code handoff.created}), a conversation was resolved ({@code conversation.resolved}).
 *
 * <p>A delivery is written to Redis first ({@value #DUE}, a sorted set of delivery ids by the time
 * they are due, and {@code keel:webhook:{id}}, a hash of event, body and attempts), so pending
 * deliveries survive a restart of any node. Every node's dispatcher claims due deliveries in one Lua
 * script that also pushes their due time past the send timeout, so two nodes never send one
 * delivery at the same time, and one whose node died mid-send is sent again later. A failed attempt
 * is retried with exponential back-off, up to a bounded number of attempts; then it is dropped and
 * counted. Sending is asynchronous: a slow or dead receiver never holds up a chat.
 *
 * <p>Each request is JSON {@code {"id", "event", "createdAt", "data"}} with the headers
 * {@code X-Keel-Event}, {@code X-Keel-Delivery} (the id, the same on every attempt, for receivers to
 * drop repeats), {@code X-Keel-Timestamp} (epoch seconds of this attempt) and
 * {@code X-Keel-Signature: sha256=<hex HMAC-SHA256 of secret over timestamp + "." + body>}.
 */
final class Webhooks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
    static final String DUE = "keel:webhooks:due";
    static final String DELIVERY = "keel:webhook:";
    static final String HIGH_RISK = "customer.high_risk";
    static final String HANDOFF = "handoff.created";
    static final String RESOLVED = "conversation.resolved";
    private static final int CLAIM_BATCH = 20;
    private static final long POLL_MILLIS = 1_000;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);
    /** A claimed delivery becomes due again after this long, in case its node died while sending. */
    private static final Duration CLAIM_LEASE = Duration.ofSeconds(60);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(15);

    /** Claims up to ARGV[3] due deliveries: pushes each one's due time to ARGV[2] and counts the attempt. */
    private static final String CLAIM = """
            local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
            local out = {}
            for _, id in ipairs(ids) do
              local key = ARGV[4] .. id
              local body = redis.call('HGET', key, 'body')
              if body then
                redis.call('ZADD', KEYS[1], ARGV[2], id)
                local attempt = redis.call('HINCRBY', key, 'attempts', 1)
                table.insert(out, id)
                table.insert(out, redis.call('HGET', key, 'event'))
                table.insert(out, body)
                table.insert(out, tostring(attempt))
              else
                redis.call('ZREM', KEYS[1], id)
              end
            end
            return out
            """;

    /**
     * Where and how to deliver.
     *
     * @param url         the receiver, or null for no webhooks
     * @param secret      the HMAC key the receiver checks signatures with
     * @param maxAttempts attempts before a delivery is given up
     * @param firstRetry  the wait before the first retry; each further retry waits twice as long (at most 15 minutes)
     */
    record Settings(String url, String secret, int maxAttempts, Duration firstRetry) {
        static final int DEFAULT_MAX_ATTEMPTS = 8;
        static final Duration DEFAULT_FIRST_RETRY = Duration.ofSeconds(10);

        static Settings none() {
            return new Settings(null, null, DEFAULT_MAX_ATTEMPTS, DEFAULT_FIRST_RETRY);
        }

        boolean enabled() {
            return url != null && !url.isBlank();
        }

        /** Refuses settings that could never deliver, naming the option. */
        Settings checked() {
            if (!enabled()) {
                return this;
            }
            URI uri;
            try {
                uri = URI.create(url.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--webhook-url is not a URL: " + url);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("--webhook-url must be an http or https URL, not " + url);
            }
            if (secret == null || secret.strip().length() < 16) {
                throw new IllegalArgumentException("--webhook-secret (at least 16 characters) is required with --webhook-url");
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("--webhook-max-attempts must be at least 1");
            }
            return this;
        }
    }

    private final Settings settings;
    private final Store store;
    private final KeelMetrics metrics;
    private final Vertx vertx;
    private final HttpClient client;
    private final URI target;
    private final AtomicBoolean dispatching = new AtomicBoolean();
    private final long timer;

    private Webhooks(Settings settings, Store store, KeelMetrics metrics, Vertx vertx) {
        this.settings = settings;
        this.store = store;
        this.metrics = metrics;
        this.vertx = vertx;
        if (settings.enabled()) {
            this.target = URI.create(settings.url().strip());
            this.client = vertx.createHttpClient(new HttpClientOptions()
                    .setConnectTimeout((int) Duration.ofSeconds(5).toMillis()).setSsl("https".equals(target.getScheme())));
            this.timer = vertx.setPeriodic(POLL_MILLIS, t -> dispatch());
        } else {
            this.target = null;
            this.client = null;
            this.timer = -1;
        }
    }

    /** Starts delivering (when a URL is set) on this node. */
    static Webhooks start(Settings settings, Store store, KeelMetrics metrics, Vertx vertx) {
        return new Webhooks(settings.checked(), store, metrics, vertx);
    }

    /**
     * Queues an event for delivery. Never throws: a webhook that cannot be queued (Redis down) is
     * logged and counted, and the chat goes on. Blocks on Redis: call it off the event loop.
     */
    void send(String event, JsonObject data) {
        if (!settings.enabled()) {
            return;
        }
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        String body = new JsonObject().put("id", id).put("event", event).put("createdAt", now).put("data", data).encode();
        try {
            store.call(j -> j.eval("""
                    redis.call('HSET', KEYS[1], 'event', ARGV[1], 'body', ARGV[2], 'attempts', 0, 'createdAt', ARGV[3])
                    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
                    return 1
                    """, List.of(DELIVERY + id, DUE), List.of(event, body, Long.toString(now), id)));
        } catch (RuntimeException e) {
            LOG.warn("webhook {} could not be queued: {}", event, e.toString());
            metrics.webhook(event, "not_queued");
        }
    }

    /** One claimed delivery. */
    private record Claimed(String id, String event, String body, int attempt) {
    }

    /** Claims what is due and sends it; one round at a time on this node. */
    private void dispatch() {
        if (!dispatching.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(this::claim, false).onComplete(claimed -> {
            dispatching.set(false);
            if (claimed.failed()) {
                LOG.debug("webhook claim failed: {}", claimed.cause().toString());
                return;
            }
            claimed.result().forEach(this::deliver);
        });
    }

    @SuppressWarnings("unchecked")
    private List<Claimed> claim() {
        long now = System.currentTimeMillis();
        List<Object> out = (List<Object>) store.call(j -> j.eval(CLAIM, List.of(DUE), List.of(Long.toString(now),
                Long.toString(now + CLAIM_LEASE.toMillis()), Integer.toString(CLAIM_BATCH), DELIVERY)));
        List<Claimed> claimed = new java.util.ArrayList<>();
        for (int i = 0; i + 3 < out.size(); i += 4) {
            claimed.add(new Claimed(out.get(i).toString(), out.get(i + 1).toString(), out.get(i + 2).toString(),
                    Integer.parseInt(out.get(i + 3).toString())));
        }
        return claimed;
    }

    private void deliver(Claimed delivery) {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(target.toString())
                .setTimeout(SEND_TIMEOUT.toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "Keel-Webhooks/1")
                .putHeader("X-Keel-Event", delivery.event())
                .putHeader("X-Keel-Delivery", delivery.id())
                .putHeader("X-Keel-Timestamp", timestamp)
                .putHeader("X-Keel-Signature", "sha256=" + signature(settings.secret().strip(), timestamp, delivery.body()));
        Future<Integer> status = client.request(request)
                .compose(r -> r.send(Buffer.buffer(delivery.body())))
                .compose(response -> response.body().map(ignored -> response.statusCode()));
        status.onComplete(result -> {
            boolean accepted = result.succeeded() && result.result() / 100 == 2;
            String why = result.succeeded() ? "HTTP " + result.result() : result.cause().toString();
            vertx.executeBlocking(() -> settle(delivery, accepted, why), false)
                    .onFailure(e -> LOG.warn("webhook {} outcome could not be stored: {}", delivery.id(), e.toString()));
        });
    }

    /** Removes a delivered or given-up delivery, or schedules its next attempt. */
    private Void settle(Claimed delivery, boolean accepted, String why) {
        String key = DELIVERY + delivery.id();
        if (accepted) {
            store.call(j -> j.eval("redis.call('ZREM', KEYS[1], ARGV[1]) return redis.call('DEL', KEYS[2])",
                    List.of(DUE, key), List.of(delivery.id())));
            metrics.webhook(delivery.event(), "delivered");
        } else if (delivery.attempt() >= settings.maxAttempts()) {
            store.call(j -> j.eval("redis.call('ZREM', KEYS[1], ARGV[1]) return redis.call('DEL', KEYS[2])",
                    List.of(DUE, key), List.of(delivery.id())));
            LOG.warn("webhook {} ({}) given up after {} attempts; last: {}", delivery.id(), delivery.event(), delivery.attempt(), why);
            metrics.webhook(delivery.event(), "failed");
        } else {
            long due = System.currentTimeMillis() + backoff(delivery.attempt()).toMillis();
            // XX: a delivery removed meanwhile is not brought back
            store.call(j -> j.eval("return redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])",
                    List.of(DUE), List.of(Long.toString(due), delivery.id())));
            LOG.info("webhook {} ({}) attempt {} failed ({}); retrying", delivery.id(), delivery.event(), delivery.attempt(), why);
            metrics.webhook(delivery.event(), "retried");
        }
        return null;
    }

    /** The wait after the given failed attempt: the first retry's wait, doubled for each attempt after it. */
    Duration backoff(int attempt) {
        long millis = settings.firstRetry().toMillis() << Math.min(20, Math.max(0, attempt - 1));
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    static String signature(String secret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deliveries waiting in Redis, for the metrics. */
    long pending() {
        return settings.enabled() ? store.call(j -> j.zcard(DUE)) : 0;
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (client != null) {
            client.close();
        }
    }

    /** Data of a {@value #HIGH_RISK} event. */
    static JsonObject highRisk(String conversationId, String customerId, JsonObject risk) {
        return new JsonObject().put("conversationId", conversationId).put("customerId", customerId)
                .put("risk", riskSummary(risk));
    }

    static JsonObject riskSummary(JsonObject risk) {
        JsonObject out = new JsonObject();
        for (Map.Entry<String, Object> e : risk) {
            if (List.of("probability", "band", "modelVersion").contains(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }
}

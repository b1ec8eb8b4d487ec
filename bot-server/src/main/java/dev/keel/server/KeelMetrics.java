package dev.keel.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Keel's meters, in one Prometheus registry that Vert.x's own HTTP server metrics (per route,
 * method and status) and the JVM's report to as well. Scraped at {@code GET /metrics}.
 *
 * <p>Nothing here reads Redis while being scraped: values that live in Redis, such as the number of
 * waiting hand-offs, are sampled on a worker thread and only read back from memory.
 */
final class KeelMetrics {
    /** Latency buckets for the HTTP histograms, from a fast cached read to a slow LLM answer. */
    private static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(75), Duration.ofMillis(100),
            Duration.ofMillis(150), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter redisErrors;
    private final AtomicLong handoffsWaiting = new AtomicLong();
    private final AtomicLong oldestHandoffWaitMillis = new AtomicLong();
    private final AtomicLong webhooksPending = new AtomicLong();
    private final Timer timeToAgent;
    /** Buckets of the time to an agent, from seconds to an hour. */
    private static final Duration[] TIME_TO_AGENT_BUCKETS = {
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
            Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(15), Duration.ofMinutes(30),
            Duration.ofHours(1)};

    KeelMetrics() {
        // Vert.x names a request's route by every route it passed, joined by '>' ("/api/>/api/v1/…");
        // the last one is the route that answered it
        registry.config().meterFilter(MeterFilter.replaceTagValues("route", route -> route.substring(route.lastIndexOf('>') + 1)));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().startsWith("vertx.http.server.response.time")) {
                    return config;
                }
                double[] buckets = new double[LATENCY_BUCKETS.length];
                for (int i = 0; i < buckets.length; i++) {
                    buckets[i] = LATENCY_BUCKETS[i].toNanos();
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(buckets).build().merge(config);
            }
        });
        redisErrors = Counter.builder("keel.redis.errors").description("Redis calls that failed").register(registry);
        Gauge.builder("keel.handoffs.waiting", handoffsWaiting, AtomicLong::get)
                .description("Conversations waiting in the hand-off queue (sampled)").register(registry);
        Gauge.builder("keel.handoffs.oldest.wait", oldestHandoffWaitMillis, m -> m.get() / 1000.0).baseUnit("seconds")
                .description("How long the longest-waiting hand-off has waited (sampled; 0 when none waits)").register(registry);
        Gauge.builder("keel.webhooks.pending", webhooksPending, AtomicLong::get)
                .description("Webhook deliveries waiting in Redis to be sent or retried (sampled)").register(registry);
        timeToAgent = Timer.builder("keel.handoff.time.to.agent")
                .description("From a hand-off's creation to its first claim by an agent")
                .serviceLevelObjectives(TIME_TO_AGENT_BUCKETS).register(registry);
    }

    /** A Vert.x whose HTTP server and JVM metrics go to this registry. */
    Vertx newVertx() {
        MicrometerMetricsOptions options = new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
                .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE));
        return Vertx.builder().with(new VertxOptions().setMetricsOptions(options))
                .withMetrics(new MicrometerMetricsFactory(registry)).build();
    }

    /** For the meters of other parts (the language model's) to join. */
    MeterRegistry registry() {
        return registry;
    }

    Handler<RoutingContext> scrapeHandler() {
        return PrometheusScrapingHandler.create(registry);
    }

    /** Counts one answered customer turn by its decision and each of its reasons. */
    void turn(JsonObject reply) {
        registry.counter("keel.turns", "decision", reply.getString("decision", "UNKNOWN")).increment();
        reply.getJsonArray("reasons", new io.vertx.core.json.JsonArray())
                .forEach(reason -> registry.counter("keel.decision.reasons", "reason", String.valueOf(reason)).increment());
    }

    void redisError() {
        redisErrors.increment();
    }

    void handoffsWaiting(long count) {
        handoffsWaiting.set(count);
    }

    /** Time from a hand-off's creation to its first claim by an agent. */
    void timeToAgent(long millis) {
        timeToAgent.record(Duration.ofMillis(millis));
    }

    void oldestHandoffWait(long millis) {
        oldestHandoffWaitMillis.set(millis);
    }

    /** Counts one webhook outcome: {@code delivered}, {@code retried}, {@code failed} (given up) or {@code not_queued}. */
    void webhook(String event, String outcome) {
        registry.counter("keel.webhook.deliveries", "event", event, "outcome", outcome).increment();
    }

    void webhooksPending(long count) {
        webhooksPending.set(count);
    }

    void knowledgeBaseSize(IntSupplier passages) {
        Gauge.builder("keel.kb.passages", passages::getAsInt).description("Passages in the search index").register(registry);
    }
}

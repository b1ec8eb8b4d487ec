package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import dev.keel.kb.ArticleService;
import dev.keel.kb.Embedder;
import dev.keel.kb.KnowledgeBase;
import dev.keel.server.llm.Llm;
import dev.keel.server.llm.LlmSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPool;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A running Keel: Redis (embedded or not), knowledge base, churn model and the HTTP server. */
final class KeelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

    /**
     * Everything {@link #start} needs.
     *
     * @param redisUrl null or blank to start an embedded Redis under {@code data/redis}
     * @param fsync    the embedded Redis {@code appendfsync} policy, {@code always} or {@code everysec}
     * @param llm      the language model, or none for extractive answers
     * @param queryEmbeddingCache how many recent distinct questions keep their embedding (0: none)
     */
    record Settings(String host, int port, Path kb, Path customers, String idColumn, String labelColumn,
                    String positive, Path data, String redisUrl, String fsync, double minAnswerability,
                    Double churnHighThreshold, Double churnMediumThreshold, LlmSettings llm, Webhooks.Settings webhooks,
                    int queryEmbeddingCache) {
        /** How many recent questions keep their embedding unless told otherwise. */
        static final int QUERY_EMBEDDING_CACHE = 1024;

        /** Settings with the churn band thresholds the model was trained with, no language model and no webhooks. */
        Settings(String host, int port, Path kb, Path customers, String idColumn, String labelColumn, String positive,
                 Path data, String redisUrl, String fsync, double minAnswerability) {
            this(host, port, kb, customers, idColumn, labelColumn, positive, data, redisUrl, fsync, minAnswerability,
                    null, null, LlmSettings.none(), Webhooks.Settings.none(), QUERY_EMBEDDING_CACHE);
        }

        /** The same settings, answering through this language model. */
        Settings withLlm(LlmSettings model) {
            return new Settings(host, port, kb, customers, idColumn, labelColumn, positive, data, redisUrl, fsync,
                    minAnswerability, churnHighThreshold, churnMediumThreshold, model, webhooks, queryEmbeddingCache);
        }

        /** The same settings, delivering webhooks so. */
        Settings withWebhooks(Webhooks.Settings hooks) {
            return new Settings(host, port, kb, customers, idColumn, labelColumn, positive, data, redisUrl, fsync,
                    minAnswerability, churnHighThreshold, churnMediumThreshold, llm, hooks, queryEmbeddingCache);
        }

        /** The same settings, keeping the embeddings of this many recent questions. */
        Settings withQueryEmbeddingCache(int entries) {
            return new Settings(host, port, kb, customers, idColumn, labelColumn, positive, data, redisUrl, fsync,
                    minAnswerability, churnHighThreshold, churnMediumThreshold, llm, webhooks, entries);
        }
    }

    /** How long a stopping server waits for the requests in flight. */
    private static final Duration DRAIN_PATIENCE = Duration.ofSeconds(10);
    /** How often the hand-off queue length is read for the metrics. */
    private static final long QUEUE_SAMPLE_MILLIS = 5000;

    private final List<AutoCloseable> resources;
    private final HttpApi api;
    private final int port;
    private final EmbeddedRedis embedded;

    private KeelServer(List<AutoCloseable> resources, HttpApi api, int port, EmbeddedRedis embedded) {
        this.resources = resources;
        this.api = api;
        this.port = port;
        this.embedded = embedded;
    }

    /**
     * For a process that closes this server from its own shutdown hook: the embedded Redis, if any,
     * then waits at a JVM exit for that close (which stops it last) instead of stopping at once.
     */
    void closedOnExit() {
        if (embedded != null) {
            embedded.keepUntilClosed(EmbeddedRedis.KEEP_FOR_KEEL);
        }
    }

    /** Starts with the escalation settings of the environment ({@code KEEL_...} variables). */
    static KeelServer start(Settings settings) throws Exception {
        return start(settings, SecuritySettings.defaults(), System.getenv());
    }

    /** Starts with these escalation settings and the default security settings. */
    static KeelServer start(Settings settings, EscalationConfig escalation) throws Exception {
        return start(settings, escalation, SecuritySettings.defaults(), System.getenv());
    }

    /** Starts with these security settings and the escalation settings of {@code env}. */
    static KeelServer start(Settings settings, SecuritySettings security, Map<String, String> env) throws Exception {
        return start(settings, EscalationConfig.from(env, settings.minAnswerability()), security, env);
    }

    /**
     * Starts Keel.
     *
     * @param env where the secrets that are never options come from: {@code KEEL_AGENT_TOKEN} (the
     *            service token) and {@code KEEL_ADMIN_NAME} / {@code KEEL_ADMIN_PASSWORD} (the first admin)
     */
    static KeelServer start(Settings settings, EscalationConfig escalation, SecuritySettings security,
                            Map<String, String> env) throws Exception {
        if (!settings.fsync().equals("always") && !settings.fsync().equals("everysec")) {
            throw new IllegalArgumentException("the Redis fsync policy must be always or everysec, not " + settings.fsync());
        }
        if (settings.queryEmbeddingCache() < 0) {
            throw new IllegalArgumentException("the query embedding cache must hold 0 or more questions, not "
                    + settings.queryEmbeddingCache());
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            Files.createDirectories(settings.data());
            Templates templates = Templates.load();
            String redisUrl = settings.redisUrl();
            EmbeddedRedis embedded = null;
            if (redisUrl == null || redisUrl.isBlank()) {
                embedded = EmbeddedRedis.start(settings.data().resolve("redis"), settings.fsync());
                resources.add(embedded);
                redisUrl = embedded.url();
            }
            KeelMetrics metrics = new KeelMetrics();
            JedisPool pool = RedisPool.open(redisUrl);
            resources.add(pool);
            Store store = new Store(pool, metrics::redisError);
            if (!store.ping()) {
                throw new IllegalStateException("Redis does not answer PING");
            }

            ArticleService articles = ArticleService.open(settings.kb(), settings.data(), Embedder.shared());
            resources.add(articles);
            KnowledgeBase knowledgeBase = articles.knowledgeBase();
            knowledgeBase.embedder().queryCache(settings.queryEmbeddingCache());
            metrics.knowledgeBaseSize(knowledgeBase::passageCount);
            CustomerTable table = CustomerTable.load(settings.customers(), settings.idColumn(), settings.labelColumn(),
                    settings.positive());
            ChurnModel model = ChurnScores.loadOrTrain(table, settings.data().resolve("model"))
                    .withThresholds(settings.churnHighThreshold(), settings.churnMediumThreshold());
            ChurnScores churn = new ChurnScores(store, table, model, Duration.ofDays(7).toSeconds());
            long started = System.nanoTime();
            int scored = churn.scoreAll();
            LOG.info("churn scores: {} customers written to Redis in {} ms", scored, (System.nanoTime() - started) / 1_000_000);

            CustomerIdentity identity = CustomerIdentity.from(security);
            CustomerValue value = CustomerValue.of(table);
            Handoffs handoffs = new Handoffs(store, escalation);
            Notices notices = new Notices(templates);
            Llm llm = Llm.start(settings.llm(), templates, metrics.registry());
            resources.add(llm);
            // thresholds and playbooks as configured, or as an admin changed them since (kept in Redis)
            EscalationSettings tuned = new EscalationSettings(store, escalation, AgentBriefing.bundledPlaybooks());
            Vertx vertx = metrics.newVertx();
            resources.add(() -> vertx.close().await());
            Webhooks webhooks = Webhooks.start(settings.webhooks(), store, metrics, vertx);
            resources.add(webhooks);
            ChatService chat = new ChatService(store, knowledgeBase, churn, templates, new ChatService.Escalation(escalation,
                    new EscalationPolicy(tuned::config), IntentClassifier.bundled(), handoffs, notices, value, webhooks),
                    llm.answerer(), security.conversationTokenTtl());
            HandoffSummaries summaries = new HandoffSummaries(llm.drafter(), templates);
            resources.add(summaries);
            AgentDesk desk = new AgentDesk(store, handoffs, notices, chat,
                    new AgentBriefing(store, churn, value, summaries, tuned::playbooks), escalation, webhooks, metrics);
            vertx.setPeriodic(QUEUE_SAMPLE_MILLIS, timer -> vertx.executeBlocking(() -> {
                long now = System.currentTimeMillis();
                metrics.handoffsWaiting(store.waitingCount());
                metrics.oldestHandoffWait(handoffs.oldestWaitingSince().map(since -> Math.max(0, now - since)).orElse(0L));
                metrics.webhooksPending(webhooks.pending());
                return null;
            }, false));
            vertx.setPeriodic(ChurnScores.SWEEP_MILLIS, timer -> vertx.executeBlocking(churn::sweepNext, false)
                    .onFailure(e -> LOG.debug("churn score sweep failed: {}", e.toString())));
            resources.add(ChangeBus.start(vertx, URI.create(redisUrl)));
            AgentApi agents = new AgentApi(vertx, desk, chat, new AgentSuggestions(store, knowledgeBase, templates, llm.drafter()));
            agents.watchLeases();
            LiveConnections live = new LiveConnections();
            RealTime realTime = new RealTime(new CustomerEvents(vertx, chat, store, live),
                    new AgentSocket(vertx, desk, chat, store, handoffs, live, security.allowedOrigins(),
                    escalation.leaseSeconds()), live);
            AdminConsoleApi console = new AdminConsoleApi(vertx, chat, tuned, templates, new Reports(store), new AuditLog(store));
            HttpApi api = new HttpApi(vertx, chat, store, agents, articles, console, metrics, security, identity,
                    env.get("KEEL_AGENT_TOKEN"), realTime);
            api.auth().ensureFirstAdmin(env);
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(settings.host()).setPort(settings.port())
                            .setIdleTimeout((int) security.idleTimeout().toSeconds())
                            .setMaxWebSocketFrameSize(AgentSocket.MAX_FRAME_BYTES)
                            .setMaxWebSocketMessageSize(AgentSocket.MAX_MESSAGE_BYTES))
                    .requestHandler(api.router())
                    .listen().await();
            resources.add(() -> server.close().await());
            LOG.info("Keel is ready on http://{}:{}/ ({} articles, {} passages)", settings.host(), server.actualPort(),
                    knowledgeBase.articleCount(), knowledgeBase.passageCount());
            return new KeelServer(resources, api, server.actualPort(), embedded);
        } catch (Exception | Error e) {
            new KeelServer(resources, null, 0, null).close();
            throw e;
        }
    }

    /** Turns readiness off, refuses new conversations and waits for the requests in flight. */
    void drain(Duration patience) {
        drain(Duration.ZERO, patience);
    }

    /**
     * As {@link #drain(Duration)}, but first keeps serving the conversations already open for
     * {@code delay}, while a load balancer that reads readiness stops sending new ones.
     */
    private void drain(Duration delay, Duration patience) {
        if (api == null) {
            return;
        }
        try {
            int unfinished = api.drain(delay, patience);
            if (unfinished > 0) {
                LOG.warn("{} requests were still in flight after {} ms", unfinished, patience.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int port() {
        return port;
    }

    /**
     * Stops gracefully: readiness turns false and new conversations are refused, the requests in
     * flight may finish (each has stored its turn in Redis before answering), then the HTTP server
     * stops, and Redis last.
     */
    @Override
    public void close() {
        close(Duration.ZERO);
    }

    /** As {@link #close()}, serving the open conversations for {@code delay} after readiness turns false. */
    void close(Duration delay) {
        LOG.info("Keel is stopping");
        drain(delay, DRAIN_PATIENCE);
        List<AutoCloseable> reversed = new ArrayList<>(resources);
        Collections.reverse(reversed);
        for (AutoCloseable resource : reversed) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("while stopping: {}", e.toString());
            }
        }
        resources.clear();
        LOG.info("Keel stopped");
    }
}

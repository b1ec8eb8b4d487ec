package dev.keel.server;

import dev.keel.churn.ChurnModel;
import dev.keel.churn.CustomerTable;
import dev.keel.kb.ArticleService;
import dev.keel.kb.Embedder;
import dev.keel.kb.KnowledgeBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/** A running Keel: Redis (embedded or not), knowledge base, churn model and the HTTP server. */
final class KeelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

    /**
     * Everything {@link #start} needs.
     *
     * @param redisUrl null or blank to start an embedded Redis under {@code data/redis}
     * @param fsync    the embedded Redis {@code appendfsync} policy, {@code always} or {@code everysec}
     */
    record Settings(String host, int port, Path kb, Path customers, String idColumn, String labelColumn,
                    String positive, Path data, String redisUrl, String fsync, double minAnswerability) {
    }

    private final List<AutoCloseable> resources;
    private final int port;

    private KeelServer(List<AutoCloseable> resources, int port) {
        this.resources = resources;
        this.port = port;
    }

    static KeelServer start(Settings settings) throws Exception {
        if (!settings.fsync().equals("always") && !settings.fsync().equals("everysec")) {
            throw new IllegalArgumentException("the Redis fsync policy must be always or everysec, not " + settings.fsync());
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            Files.createDirectories(settings.data());
            Templates templates = Templates.load();
            String redisUrl = settings.redisUrl();
            if (redisUrl == null || redisUrl.isBlank()) {
                EmbeddedRedis embedded = EmbeddedRedis.start(settings.data().resolve("redis"), settings.fsync());
                resources.add(embedded);
                redisUrl = embedded.url();
            }
            JedisPool pool = new JedisPool(poolConfig(), URI.create(redisUrl), 2000);
            resources.add(pool);
            Store store = new Store(pool);
            if (!store.ping()) {
                throw new IllegalStateException("Redis does not answer PING");
            }

            ArticleService articles = ArticleService.open(settings.kb(), settings.data(), Embedder.shared());
            resources.add(articles);
            KnowledgeBase knowledgeBase = articles.knowledgeBase();
            CustomerTable table = CustomerTable.load(settings.customers(), settings.idColumn(), settings.labelColumn(),
                    settings.positive());
            ChurnModel model = ChurnScores.loadOrTrain(table, settings.data().resolve("model"));
            ChurnScores churn = new ChurnScores(store, table, model, Duration.ofDays(7).toSeconds());
            long started = System.nanoTime();
            int scored = churn.scoreAll();
            LOG.info("churn scores: {} customers written to Redis in {} ms", scored, (System.nanoTime() - started) / 1_000_000);

            ChatService chat = new ChatService(store, knowledgeBase, churn,
                    new EscalationPolicy(settings.minAnswerability()), templates);
            Vertx vertx = Vertx.vertx();
            resources.add(() -> vertx.close().await());
            String agentToken = agentToken(settings.data());
            // until admin accounts exist, the admin API takes the agent token
            AdminArticlesApi admin = new AdminArticlesApi(vertx, articles, HttpApi.requireToken(agentToken));
            HttpApi api = new HttpApi(vertx, chat, store, agentToken, admin);
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(settings.host()).setPort(settings.port()))
                    .requestHandler(api.router())
                    .listen().await();
            resources.add(() -> server.close().await());
            LOG.info("Keel is ready on http://{}:{}/ ({} articles, {} passages)", settings.host(), server.actualPort(),
                    knowledgeBase.articleCount(), knowledgeBase.passageCount());
            return new KeelServer(resources, server.actualPort());
        } catch (Exception | Error e) {
            new KeelServer(resources, 0).close();
            throw e;
        }
    }

    int port() {
        return port;
    }

    /** Stops the HTTP server first, Redis last. */
    @Override
    public void close() {
        LOG.info("Keel is stopping");
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
    }

    /** The agent API token: {@code KEEL_AGENT_TOKEN}, or one generated once into the data folder. */
    private static String agentToken(Path data) throws IOException {
        String fromEnv = System.getenv("KEEL_AGENT_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        Path file = data.resolve("agent-token");
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        }
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Files.writeString(file, token + "\n", StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        LOG.info("agent API token written to {}", file.toAbsolutePath());
        return token;
    }

    private static JedisPoolConfig poolConfig() {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(32);
        config.setMaxIdle(32);
        config.setMaxWait(Duration.ofMillis(500));
        config.setTestOnBorrow(true);
        config.setTestWhileIdle(true);
        config.setTimeBetweenEvictionRuns(Duration.ofSeconds(10));
        return config;
    }
}

package dev.keel.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;
import redis.embedded.RedisServer;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The change bus on a real Redis: changes reach the local listeners, and it resubscribes by itself after Redis restarts. */
class ChangeBusTest {
    @Test
    void passesChangesOnAndResubscribesAfterRedisRestarts() throws Exception {
        Path dir = Files.createTempDirectory("keel-bus");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        RedisServer redis = RedisServer.newRedisServer().bind("127.0.0.1").port(port).setting("dir " + dir).build();
        redis.start();
        Vertx vertx = Vertx.vertx();
        URI url = URI.create("redis://127.0.0.1:" + port);
        String id = UUID.randomUUID().toString();
        BlockingQueue<JsonObject> heard = new LinkedBlockingQueue<>();
        // listening before the bus starts, so that its first "read again" is not missed
        vertx.eventBus().<JsonObject>localConsumer(ChangeBus.CONVERSATION + id, m -> heard.add(m.body())).completion().await();
        vertx.eventBus().<JsonObject>localConsumer(ChangeBus.QUEUE, m -> heard.add(m.body())).completion().await();
        vertx.eventBus().<JsonObject>localConsumer(ChangeBus.RESYNC, m -> heard.add(new JsonObject().put("kind", "resync")))
                .completion().await();
        try (JedisPool pool = RedisPool.open(url.toString()); ChangeBus bus = ChangeBus.start(vertx, url)) {
            Store store = new Store(pool);
            assertThat(heard.poll(30, TimeUnit.SECONDS).getString("kind")).isEqualTo("resync");

            store.announce(ChangeBus.conversationChanged(id));
            store.announce(ChangeBus.queueChanged());
            assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo(ChangeBus.conversationChanged(id));
            assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo(ChangeBus.queueChanged());

            // while Redis is down an announcement fails quietly; after it returns the bus says "read again"
            redis.stop();
            store.announce(ChangeBus.conversationChanged(id));
            redis = RedisServer.newRedisServer().bind("127.0.0.1").port(port).setting("dir " + dir).build();
            redis.start();
            assertThat(heard.poll(30, TimeUnit.SECONDS).getString("kind")).isEqualTo("resync");
            store.announce(ChangeBus.conversationChanged(id));
            assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo(ChangeBus.conversationChanged(id));
        } finally {
            vertx.close().await();
            redis.stop();
        }
    }
}

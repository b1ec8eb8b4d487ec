package dev.keel.server;

import org.apache.commons.pool2.PooledObject;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisFactory;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * Keel's pool of Redis connections. A Redis that restarted leaves broken connections behind, so a borrowed
 * connection is checked with a PING, but only when it has lain unused for longer than {@link #CHECK_AFTER_IDLE}: one
 * returned moments ago is handed out as it is. Checking every borrow would make a chat-time score lookup two round
 * trips (PING, then GET) instead of one. A connection that still fails is dropped together with the idle ones
 * ({@link Store#call}), so a restart costs at most the call that found it out.
 */
final class RedisPool {
    /** How long a returned connection is trusted without a check. */
    static final Duration CHECK_AFTER_IDLE = Duration.ofSeconds(2);
    private static final int TIMEOUT_MILLIS = 2000;

    private RedisPool() {
    }

    /** A pool for {@code url} as the server and the commands use it. */
    static JedisPool open(String url) {
        return open(url, CHECK_AFTER_IDLE);
    }

    /** A pool for {@code url} whose connections are checked once they have been idle for {@code checkAfterIdle}. */
    static JedisPool open(String url, Duration checkAfterIdle) {
        return new JedisPool(config(), new CheckedWhenIdle(URI.create(url), checkAfterIdle));
    }

    /**
     * Borrowed connections are checked (see above), idle ones every ten seconds too, and a borrow waits at most half a
     * second, so a lookup fails fast onto the "risk unknown" path instead of hanging.
     */
    static JedisPoolConfig config() {
        JedisPoolConfig config = new JedisPoolConfig();
        config.setMaxTotal(32);
        config.setMaxIdle(32);
        config.setMaxWait(Duration.ofMillis(500));
        config.setTestOnBorrow(true);
        config.setTestWhileIdle(true);
        config.setTimeBetweenEvictionRuns(Duration.ofSeconds(10));
        return config;
    }

    /** Validates a connection with a PING only once it has been idle for a while. */
    private static final class CheckedWhenIdle extends JedisFactory {
        private final Duration checkAfterIdle;

        CheckedWhenIdle(URI uri, Duration checkAfterIdle) {
            super(uri, TIMEOUT_MILLIS, TIMEOUT_MILLIS, null);
            this.checkAfterIdle = checkAfterIdle;
        }

        @Override
        public boolean validateObject(PooledObject<Jedis> pooled) {
            Jedis jedis = pooled.getObject();
            if (jedis.isBroken() || !jedis.isConnected()) {
                return false;
            }
            Duration idle = Duration.between(pooled.getLastReturnInstant(), Instant.now());
            return idle.compareTo(checkAfterIdle) < 0 || super.validateObject(pooled);
        }
    }
}

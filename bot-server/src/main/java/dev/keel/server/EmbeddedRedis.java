package dev.keel.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Redis server process that Keel starts for itself when no {@code REDIS_URL} is given: bound to
 * loopback on a free port, with its append-only file in Keel's data folder so that what a client was
 * told is saved survives a restart.
 */
final class EmbeddedRedis implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);
    private static final String PID_FILE = "redis.pid";

    private final RedisServer server;
    private final int port;

    private EmbeddedRedis(RedisServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Starts Redis with its files under {@code folder}.
     *
     * @param fsync the {@code appendfsync} policy: {@code always} or {@code everysec}
     */
    static EmbeddedRedis start(Path folder, String fsync) throws IOException {
        Files.createDirectories(folder);
        Path dir = folder.toAbsolutePath();
        stopLeftover(dir.resolve(PID_FILE));
        int port = freePort();
        RedisServer server = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("dir " + dir)
                .setting("appendonly yes")
                .setting("appendfsync " + fsync)
                .setting("pidfile " + dir.resolve(PID_FILE))
                .setting("protected-mode yes")
                .build();
        server.start();
        LOG.info("embedded redis: started on 127.0.0.1:{} with its data in {} (appendfsync {})", port, dir, fsync);
        return new EmbeddedRedis(server, port);
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * A Redis left running by a Keel that was killed would still own the append-only file; it is
     * stopped (and so flushes that file) before a new one starts on the same folder.
     */
    private static void stopLeftover(Path pidFile) {
        readPid(pidFile).flatMap(ProcessHandle::of)
                .filter(p -> p.info().command().map(c -> c.contains("redis-server")).orElse(false))
                .ifPresent(p -> {
                    LOG.warn("embedded redis: stopping a leftover redis-server (pid {})", p.pid());
                    p.destroy();
                    try {
                        p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (IOException e) {
            LOG.warn("embedded redis: stop failed: {}", e.getMessage());
        }
    }
}

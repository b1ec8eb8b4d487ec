package dev.keel.e2e;

import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Redis server of the test's own, on a free port, with its append-only file synced on every write,
 * that the test can kill as a crash would and start again on the same port and files.
 */
final class RedisProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private RedisServer server;

    RedisProcess(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir).toAbsolutePath();
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = socket.getLocalPort();
        }
    }

    RedisProcess start() throws IOException {
        server = RedisServer.newRedisServer().bind("127.0.0.1").port(port)
                .setting("dir " + dir)
                .setting("appendonly yes")
                .setting("appendfsync always")
                .setting("save \"\"")
                .setting("pidfile " + dir.resolve("redis.pid"))
                .build();
        server.start();
        return this;
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** SIGKILL: Redis gets no chance to flush anything beyond what it had already synced. */
    void kill() throws Exception {
        long pid = Long.parseLong(Files.readString(dir.resolve("redis.pid")).strip());
        ProcessHandle.of(pid).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
        try {
            server.stop();
        } catch (IOException alreadyGone) {
            // the process was killed above
        }
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.stop();
        }
    }
}

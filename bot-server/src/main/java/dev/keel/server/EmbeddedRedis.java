package dev.keel.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Redis server process that Keel starts for itself when no {@code REDIS_URL} is given: bound to
 * loopback on a free port, with its append-only file in Keel's data folder so that what a client was
 * told is saved survives a restart.
 *
 * <p>The library only supplies the server binary and its command line; Keel runs the process
 * itself. The library's own way of running it also stops it from a JVM shutdown hook, which
 * would take Redis away while a stopping Keel still finishes its requests; here Redis stops when
 * Keel closes it, last.
 */
final class EmbeddedRedis implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);
    private static final String PID_FILE = "redis.pid";

    /** Loading a large append-only file takes a while; a server that exits is noticed at once. */
    private static final long START_SECONDS = 600;
    private static final long STOP_SECONDS = 10;
    /** How long a JVM exit waits for Keel to close Redis itself once Keel is up (its drain and stop delay). */
    static final Duration KEEP_FOR_KEEL = Duration.ofSeconds(360);
    private static final String SETSID = "/usr/bin/setsid";

    private final Process process;
    private final int port;
    private final CountDownLatch closed = new CountDownLatch(1);
    /** Until Keel has started, nobody else will stop Redis, so a JVM exit stops it at once. */
    private volatile Duration keepFor = Duration.ZERO;
    private final Thread safetyNet;

    private EmbeddedRedis(Process process, int port) {
        this.process = process;
        this.port = port;
        // not the library's hook, which stopped Redis while Keel still drained: this one waits for Keel's close
        this.safetyNet = new Thread(() -> {
            try {
                if (!closed.await(keepFor.toMillis(), TimeUnit.MILLISECONDS)) {
                    stop();
                }
            } catch (InterruptedException e) {
                stop();
            }
        }, "keel-embedded-redis-safety-net");
        Runtime.getRuntime().addShutdownHook(safetyNet);
    }

    /** Keel will close Redis last when it stops; a JVM exit waits that long for it. */
    void keepUntilClosed(Duration patience) {
        keepFor = patience;
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
        List<String> command = RedisServer.newRedisServer()
                .bind("127.0.0.1")
                .port(port)
                .setting("dir " + dir)
                .setting("appendonly yes")
                .setting("appendfsync " + fsync)
                .setting("pidfile " + dir.resolve(PID_FILE))
                .setting("protected-mode yes")
                .buildCommandArgs();
        List<String> run = new ArrayList<>();
        if (Files.isExecutable(Path.of(SETSID))) {
            // a session of its own: a Ctrl-C or a supervisor's signal to Keel's process group does not
            // stop Redis before Keel has finished with it
            run.add(SETSID);
        }
        run.addAll(command);
        Process process = new ProcessBuilder(run).directory(new File(command.get(0)).getParentFile())
                .redirectErrorStream(true).start();
        awaitReady(process);
        LOG.info("embedded redis: started on 127.0.0.1:{} with its data in {} (appendfsync {})", port, dir, fsync);
        return new EmbeddedRedis(process, port);
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

    /**
     * Reads the server's output on a daemon thread until it accepts connections, then keeps draining
     * it; Redis's warnings ({@code #}) are logged as warnings, the rest at debug level, and the last
     * lines go into the error when it does not start.
     */
    private static void awaitReady(Process process) throws IOException {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Deque<String> last = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.contains(" # ")) {
                        LOG.warn("redis: {}", line);
                    } else {
                        LOG.debug("redis: {}", line);
                    }
                    if (!ready.isDone()) {
                        synchronized (last) {
                            last.addLast(line);
                            if (last.size() > 20) {
                                last.removeFirst();
                            }
                        }
                    }
                    if (line.contains("Ready to accept connections")) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            synchronized (last) {
                ready.completeExceptionally(new IOException("embedded redis stopped before it was ready:\n" + String.join("\n", last)));
            }
        }, "keel-embedded-redis");
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            process.destroyForcibly();
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IOException("embedded redis was not ready in " + START_SECONDS + " s");
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while embedded redis started");
        }
    }

    /** SIGTERM, so that Redis writes out its append-only file and exits; forcibly if it takes too long. */
    @Override
    public void close() {
        stop();
        closed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(safetyNet);
        } catch (IllegalStateException shuttingDown) {
            // the hook has started and returns now that Redis is closed
        }
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("embedded redis: did not stop in {} s; killing it", STOP_SECONDS);
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

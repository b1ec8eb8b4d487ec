package dev.keel.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The live clients of Keel, as a widget and an agent console use them: the customer's event stream and the agent socket. */
final class LiveClients {
    /** Bounds a failing wait only; a passing run never waits this long. */
    private static final long WAIT_SECONDS = 60;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LiveClients() {
    }

    /** One Server-Sent Event. */
    record Event(String name, String id, JsonNode data) {
    }

    /** {@code GET /api/v1/conversations/{id}/events}, read on a thread of its own. */
    static final class EventStream implements AutoCloseable {
        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final InputStream body;

        EventStream(KeelProcess node, JsonNode conversation) throws Exception {
            this(node, conversation, null);
        }

        /** Resumes after the event id the client saw last, as a reconnecting {@code EventSource} does. */
        EventStream(KeelProcess node, JsonNode conversation, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port()
                            + "/api/v1/conversations/" + conversation.get("conversationId").asText() + "/events"))
                    .header("Authorization", "Bearer " + conversation.get("token").asText()).GET();
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("event stream: " + response.statusCode());
            }
            body = response.body();
            Thread reader = new Thread(this::read, "event-stream");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String name = null;
                String id = null;
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        events.add(new Event(name, id, KeelProcess.JSON.readTree(line.substring(6))));
                        name = null;
                        id = null;
                    }
                }
            } catch (Exception closed) {
                // the stream ended
            }
        }

        /** The next event that matches, skipping the others. */
        Event next(Predicate<Event> wanted) throws InterruptedException {
            while (true) {
                Event event = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                if (event == null) {
                    throw new AssertionError("no matching event in time");
                }
                if (wanted.test(event)) {
                    return event;
                }
            }
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }

    /** {@code GET /api/v1/agent/ws} with a console session cookie from Keel's own origin. */
    static final class AgentSocket implements AutoCloseable, WebSocket.Listener {
        private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private final WebSocket socket;

        AgentSocket(KeelProcess node, String cookie) throws Exception {
            socket = HTTP.newWebSocketBuilder().header("Cookie", cookie).header("Origin", "http://127.0.0.1:" + node.port())
                    .buildAsync(URI.create("ws://127.0.0.1:" + node.port() + "/api/v1/agent/ws"), this)
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add(KeelProcess.JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        /** The next frame that matches, skipping the others. */
        JsonNode next(Predicate<JsonNode> wanted) throws InterruptedException {
            while (true) {
                JsonNode frame = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                if (frame == null) {
                    throw new AssertionError("no matching frame in time");
                }
                if (wanted.test(frame)) {
                    return frame;
                }
            }
        }

        /** Drops the connection without a closing handshake, as a crashed browser tab or a lost network does. */
        void drop() {
            socket.abort();
        }

        @Override
        public void close() {
            if (!socket.isOutputClosed()) {
                CompletableFuture<WebSocket> closing = socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
                closing.orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
            socket.abort();
        }
    }
}

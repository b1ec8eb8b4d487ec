package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated agents of {@code keel load}. Each goes online with a capacity, keeps the agent
 * WebSocket open to learn of the queue as it changes, claims waiting hand-offs up to its capacity,
 * sends the customer one reply, and resolves the conversation after a handling time. All of it
 * goes through the agent API with the service token, naming the agent in {@code X-Keel-Agent},
 * as a system acting for agents would.
 *
 * <p>The time from hand-off to claim is measured on the client: from sending the customer turn
 * whose reply was the hand-off to the claim's answer. A claim may be answered before that reply
 * arrives, so whichever of the two comes second records the time.
 */
final class LoadAgents {
    /** Within the default presence time of 60 s, with room for a slow heartbeat. */
    static final Duration HEARTBEAT = Duration.ofSeconds(10);
    private static final String DISPOSITION = "resolved";

    record Figures(long claimed, long refused, long resolved, long errors, long queueFrames, Histogram handoffToClaim) {
    }

    private final HttpClient http;
    private final URI url;
    private final String token;
    private final int capacity;
    private final Duration handling;
    private final ObjectMapper json;
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, runnable -> {
        Thread t = new Thread(runnable, "keel-load-agents");
        t.setDaemon(true);
        return t;
    });
    private final List<Agent> agents = new ArrayList<>();
    /** Hand-offs seen by the customers and not yet claimed: conversation id to the nano time their turn was sent. */
    private final Map<String, Long> waiting = new ConcurrentHashMap<>();
    /** Claims answered before the customer's reply that made the hand-off. */
    private final Map<String, Long> claimedFirst = new ConcurrentHashMap<>();
    private final Histogram handoffToClaim = new Histogram(TimeUnit.HOURS.toMicros(1), 3);
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong resolved = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong queueFrames = new AtomicLong();
    private volatile boolean claiming = true;

    LoadAgents(HttpClient http, URI url, String token, int capacity, Duration handling, ObjectMapper json) {
        this.http = http;
        this.url = url;
        this.token = token;
        this.capacity = capacity;
        this.handling = handling;
        this.json = json;
    }

    /** Brings {@code count} agents online and opens their sockets; fails when the first step of one fails. */
    void start(int count) {
        for (int i = 1; i <= count; i++) {
            Agent agent = new Agent("load-agent-" + i);
            agent.heartbeat(true).join();
            agent.connect().join();
            agents.add(agent);
        }
        timers.scheduleAtFixedRate(() -> agents.forEach(a -> a.heartbeat(true)),
                HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        // the socket sends the queue only when it changes: a claim that failed is tried again from here
        timers.scheduleAtFixedRate(() -> agents.forEach(Agent::claimMore), 1, 1, TimeUnit.SECONDS);
    }

    /** A customer turn sent at {@code sentNanos} was answered with a new hand-off. */
    void handedOff(String conversationId, long sentNanos) {
        Long claimedAt = claimedFirst.remove(conversationId);
        if (claimedAt != null) {
            record(claimedAt - sentNanos);
        } else {
            waiting.put(conversationId, sentNanos);
        }
    }

    /**
     * Waits, at most {@code limit}, until every hand-off the customers saw is claimed and every claim
     * resolved, then signs the agents off and closes their sockets.
     */
    void finish(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline && (!waiting.isEmpty() || agents.stream().anyMatch(a -> a.slots.get() > 0))) {
            Thread.sleep(50);
        }
        claiming = false;
        timers.shutdownNow();
        List<CompletableFuture<?>> goodbyes = new ArrayList<>();
        for (Agent agent : agents) {
            goodbyes.add(agent.heartbeat(false));
            if (agent.socket != null) {
                goodbyes.add(agent.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").toCompletableFuture()
                        .exceptionally(e -> null));
            }
        }
        CompletableFuture.allOf(goodbyes.toArray(CompletableFuture[]::new)).orTimeout(10, TimeUnit.SECONDS)
                .exceptionally(e -> null).join();
    }

    /** Hand-offs the customers saw that no agent claimed (yet). */
    int unclaimed() {
        return waiting.size();
    }

    Figures figures() {
        synchronized (handoffToClaim) {
            return new Figures(claimed.get(), refused.get(), resolved.get(), errors.get(), queueFrames.get(), handoffToClaim.copy());
        }
    }

    private void claimedNow(String conversationId) {
        long now = System.nanoTime();
        Long sent = waiting.remove(conversationId);
        if (sent != null) {
            record(now - sent);
        } else {
            claimedFirst.put(conversationId, now);
        }
    }

    private void record(long nanos) {
        synchronized (handoffToClaim) {
            handoffToClaim.recordValue(Math.max(1, nanos / 1000));
        }
    }

    /** One simulated agent: its socket, its latest view of the queue, and the conversations it holds. */
    private final class Agent implements WebSocket.Listener {
        final String name;
        /** Claims in flight plus conversations held: never above the capacity. */
        final AtomicInteger slots = new AtomicInteger();
        final Set<String> mine = ConcurrentHashMap.newKeySet();
        /**
         * Conversations claimed or refused since the last queue frame: the queue in hand is stale for
         * them, so they are not tried again until the next frame says they are waiting.
         */
        final Set<String> notAgain = ConcurrentHashMap.newKeySet();
        volatile List<String> queue = List.of();
        volatile WebSocket socket;
        private final StringBuilder partial = new StringBuilder();

        Agent(String name) {
            this.name = name;
        }

        CompletableFuture<Void> connect() {
            URI ws = URI.create(url.toString().replaceFirst("^http", "ws")).resolve("/api/v1/agent/ws");
            return http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .header(AgentApi.AGENT_HEADER, name).connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(ws, this).thenAccept(s -> socket = s);
        }

        CompletableFuture<Void> heartbeat(boolean online) {
            String body = json.createObjectNode().put("name", name).put("capacity", capacity).put("online", online).toString();
            return call("/api/v1/agent/presence", body).thenAccept(r -> {
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(name + " could not go " + (online ? "online" : "offline")
                            + ": HTTP " + r.statusCode() + " " + r.body());
                }
            }).whenComplete((v, e) -> {
                if (e != null) {
                    errors.incrementAndGet();
                }
            });
        }

        /** Claims from the last queue seen, first in line first, while there is room. */
        void claimMore() {
            for (String id : queue) {
                if (!claiming || slots.get() >= capacity) {
                    return;
                }
                if (slots.incrementAndGet() > capacity) {
                    slots.decrementAndGet();
                    return;
                }
                if (notAgain.contains(id) || !mine.add(id)) {
                    slots.decrementAndGet();
                    continue;
                }
                claim(id);
            }
        }

        private void claim(String id) {
            call("/api/v1/agent/conversations/" + id + "/claim", null).whenComplete((r, e) -> {
                if (e == null && r.statusCode() == 200) {
                    notAgain.add(id);
                    claimed.incrementAndGet();
                    claimedNow(id);
                    reply(id);
                } else {
                    if (e == null && r.statusCode() == 409) {
                        refused.incrementAndGet();
                        notAgain.add(id);
                    } else {
                        errors.incrementAndGet();
                    }
                    release(id);
                }
            });
        }

        private void reply(String id) {
            String body = json.createObjectNode().put("text", "Hello, I'm " + name + " and I'll take it from here.")
                    .put("clientMessageId", UUID.randomUUID().toString()).toString();
            call("/api/v1/agent/conversations/" + id + "/messages", body).whenComplete((r, e) -> {
                if (e != null || r.statusCode() != 200) {
                    errors.incrementAndGet();
                }
                timers.schedule(() -> resolve(id), handling.toMillis(), TimeUnit.MILLISECONDS);
            });
        }

        private void resolve(String id) {
            String body = json.createObjectNode().put("disposition", DISPOSITION).toString();
            call("/api/v1/agent/conversations/" + id + "/resolve", body).whenComplete((r, e) -> {
                if (e == null && r.statusCode() == 200) {
                    resolved.incrementAndGet();
                } else {
                    errors.incrementAndGet();
                }
                release(id);
            });
        }

        private void release(String id) {
            mine.remove(id);
            slots.decrementAndGet();
            claimMore();
        }

        private CompletableFuture<HttpResponse<String>> call(String path, String body) {
            HttpRequest request = HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .header(AgentApi.AGENT_HEADER, name)
                    .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        }

        // --- the socket

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                received(frame);
            }
            ws.request(1);
            return null;
        }

        private void received(String text) {
            try {
                JsonNode frame = json.readTree(text);
                String type = frame.path("type").asText();
                if (type.equals("queue")) {
                    queueFrames.incrementAndGet();
                    List<String> ids = new ArrayList<>();
                    frame.path("items").forEach(item -> ids.add(item.path("conversationId").asText()));
                    notAgain.clear();
                    queue = ids;
                    claimMore();
                } else if (type.equals("error")) {
                    errors.incrementAndGet();
                }
            } catch (java.io.IOException e) {
                errors.incrementAndGet();
            }
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            if (claiming) {
                errors.incrementAndGet();
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            if (claiming) {
                errors.incrementAndGet();
            }
            return null;
        }
    }
}

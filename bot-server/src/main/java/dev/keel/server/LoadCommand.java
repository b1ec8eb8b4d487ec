package dev.keel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * {@code keel load}: drives a running Keel over its public HTTP API with simulated customers and
 * prints what it carried. Customers first open their conversations, then send turns at a fixed
 * rate (open loop: a slow server does not slow the offered load down), one turn at a time per
 * conversation. Keel's own figures (server-side latency, heap, CPU) are read from its
 * {@code /metrics} page before, during and after the run.
 *
 * <p>With {@code --agents}, simulated agents ({@link LoadAgents}) take the hand-offs over the agent
 * API and its WebSocket, and a share of the customers' turns asks for a person so that there are
 * hand-offs to take.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Drive a running Keel with simulated customers and agents; print throughput, latency, errors, hand-offs, heap and CPU.")
final class LoadCommand implements Callable<Integer> {
    private static final String TURN_ROUTE = "/api/v1/conversations/:id/messages";
    private static final String LATENCY = "vertx_http_server_response_time_seconds";
    static final String ASK_FOR_PERSON = "I want to talk to a person";
    /** How long the agents get, after the last turn, to claim and resolve the hand-offs still open. */
    private static final Duration AGENTS_FINISH = Duration.ofSeconds(60);
    private static final List<String> QUESTIONS = List.of(
            "How do I pause my plan?", "Why is my bill higher this month?", "How can I pay by credit card?",
            "My internet keeps dropping in the evening", "How do I set up my new router?",
            "What does the early termination fee cost?", "I'm moving house next month, what do I do?",
            "Can I add a second phone line?", "How do I turn on paperless billing?", "What does device protection cover?",
            "My fiber connection has a red light", "How do I add streaming TV?", "Is there a senior discount?",
            "How do refunds work?", "What happens if a payment fails?", "How do I change my internet speed?",
            "How do I reset my account password?", "What is online backup?", "Do you give credit for outages?",
            "How much mobile data is fair use?");

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Keel's address (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--conversations", defaultValue = "2000", description = "Conversations opened and kept (default: ${DEFAULT-VALUE}).")
    int conversations;

    @Option(names = "--rate", defaultValue = "100", description = "Customer turns per second offered (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--seconds", defaultValue = "60", description = "How long turns are sent (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--max-in-flight", defaultValue = "512",
            description = "Turns waiting for a reply at most; beyond it a turn is counted as not sent (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--questions", description = "JSONL file whose \"question\" fields customers ask (default: questions about the bundled articles).")
    Path questionsFile;

    @Option(names = "--agents", defaultValue = "0",
            description = "Simulated agents who claim and resolve hand-offs over the agent API (default: ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--agent-capacity", defaultValue = "3", description = "Conversations each agent holds at once (default: ${DEFAULT-VALUE}).")
    int agentCapacity;

    @Option(names = "--agent-handling-ms", defaultValue = "1000",
            description = "Time from an agent's reply to resolving the conversation (default: ${DEFAULT-VALUE}).")
    long agentHandlingMs;

    @Option(names = "--agent-token", defaultValue = "${env:KEEL_AGENT_TOKEN}",
            description = "Keel's service token, with which the agents act (default: the KEEL_AGENT_TOKEN environment variable).")
    String agentToken;

    @Option(names = "--handoff-share",
            description = "Share of customer turns that ask for a person, 0 to 1 (default: 0.05 with agents, else 0).")
    Double handoffShare;

    private final ObjectMapper json = new ObjectMapper();
    // HTTP/1.1, a connection per turn in flight, as separate customers have: over one HTTP/2
    // connection a slow server made turns fail at the server's limit of concurrent streams
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(4, daemon())).build();

    record Conversation(String id, String token, AtomicBoolean busy) {
    }

    /**
     * What a run carried, for callers that run the command in process.
     *
     * @param toPerson turns to a conversation waiting for or with a person: answered with an empty reply
     */
    record Result(long sent, long answered, long handoffs, long toPerson, LoadAgents.Figures agents) {
    }

    private Result result;

    /** The figures of the last run, or null before one finished. */
    Result result() {
        return result;
    }

    /** The reply to one turn: its HTTP status, and whether it made a new hand-off or went to a person. */
    private record Reply(int status, boolean handedOff, boolean toPerson) {
    }

    @Override
    public Integer call() throws Exception {
        List<String> questions = questionsFile == null ? QUESTIONS : readQuestions(questionsFile);
        double askForPerson = handoffShare != null ? handoffShare : agents > 0 ? 0.05 : 0;
        if (agents < 0 || agentCapacity < 1 || agentCapacity > 50 || agentHandlingMs < 0 || askForPerson < 0 || askForPerson > 1) {
            System.err.println("--agents must be 0 or more, --agent-capacity 1 to 50, --agent-handling-ms 0 or more, --handoff-share 0 to 1");
            return 1;
        }
        if (agents > 0 && (agentToken == null || agentToken.isBlank())) {
            System.err.println("--agents needs Keel's service token: --agent-token or KEEL_AGENT_TOKEN");
            return 1;
        }
        if (get("/health/ready").statusCode() != 200) {
            System.err.println("Keel at " + url + " is not ready");
            return 1;
        }
        long openStarted = System.nanoTime();
        List<Conversation> open = openConversations();
        double openSeconds = (System.nanoTime() - openStarted) / 1e9;
        LoadAgents desk = null;
        if (agents > 0) {
            desk = new LoadAgents(http, url, agentToken.strip(), agentCapacity, Duration.ofMillis(agentHandlingMs), json);
            try {
                desk.start(agents);
            } catch (java.util.concurrent.CompletionException e) {
                System.err.println("the agents could not start: " + e.getCause());
                return 1;
            }
        }
        ScrapedMetrics before = scrape();

        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        AtomicLong sent = new AtomicLong();
        AtomicLong handoffs = new AtomicLong();
        AtomicLong toPerson = new AtomicLong();
        LoadAgents agentsOrNull = desk;
        Semaphore inFlight = new Semaphore(maxInFlight);
        Random random = new Random(7);
        double[] heapMb = {0};
        double[] cpuMax = {0};
        List<Double> cpuSamples = new ArrayList<>();

        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long nextSample = start;
        long issued = 0;
        while (System.nanoTime() < end) {
            long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
            for (; issued < due; issued++) {
                Conversation c = idle(open, random);
                if (c == null || !inFlight.tryAcquire()) {
                    outcomes.computeIfAbsent("not sent (client saturated)", k -> new AtomicInteger()).incrementAndGet();
                    if (c != null) {
                        c.busy().set(false);
                    }
                    continue;
                }
                sent.incrementAndGet();
                long t0 = System.nanoTime();
                String text = random.nextDouble() < askForPerson ? ASK_FOR_PERSON : questions.get(random.nextInt(questions.size()));
                turn(c, text).whenComplete((reply, error) -> {
                    synchronized (latency) {
                        latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                    }
                    if (error == null && reply.handedOff()) {
                        handoffs.incrementAndGet();
                        if (agentsOrNull != null) {
                            agentsOrNull.handedOff(c.id(), t0);
                        }
                    } else if (error == null && reply.toPerson()) {
                        toPerson.incrementAndGet();
                    }
                    String outcome = error != null ? "error " + error.getClass().getSimpleName() : "HTTP " + reply.status();
                    outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
                    c.busy().set(false);
                    inFlight.release();
                });
            }
            if (System.nanoTime() >= nextSample) {
                ScrapedMetrics now = scrape();
                heapMb[0] = Math.max(heapMb[0], heapUsedMb(now));
                double cpu = now.sum("process_cpu_usage", s -> true);
                cpuMax[0] = Math.max(cpuMax[0], cpu);
                cpuSamples.add(cpu);
                nextSample += TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(2);
        }
        inFlight.tryAcquire(maxInFlight, 60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (desk != null) {
            desk.finish(AGENTS_FINISH);
        }
        ScrapedMetrics after = scrape();
        heapMb[0] = Math.max(heapMb[0], heapUsedMb(after));

        Predicate<ScrapedMetrics.Sample> turns = s -> s.has("route", TURN_ROUTE) && s.has("method", "POST");
        Map<Double, Double> b0 = before.buckets(LATENCY, turns);
        Map<Double, Double> b1 = after.buckets(LATENCY, turns);
        long ok = outcomes.getOrDefault("HTTP 200", new AtomicInteger()).get();
        System.out.printf("keel load: %d conversations opened in %.1f s; %d turns offered over %.0f s at %.0f/s%n",
                open.size(), openSeconds, issued, elapsed, rate);
        System.out.printf("  throughput  %.1f answered turns/s (%d of %d sent answered 200)%n", ok / elapsed, ok, sent.get());
        System.out.printf("  client      p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms%n",
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(95) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0);
        System.out.printf("  server      p50 <= %s  p99 <= %s  (histogram bucket bounds, route %s)%n",
                millis(ScrapedMetrics.quantileBound(b0, b1, 0.50)), millis(ScrapedMetrics.quantileBound(b0, b1, 0.99)), TURN_ROUTE);
        System.out.printf("  keel        heap used max %.0f MB of %.0f MB; CPU mean %.0f %% max %.0f %% (of all cores)%n",
                heapMb[0], after.sum("jvm_memory_max_bytes", s -> s.has("area", "heap") && s.value() > 0) / 1e6,
                100 * cpuSamples.stream().mapToDouble(Double::doubleValue).average().orElse(0), 100 * cpuMax[0]);
        System.out.printf("  outcomes    %s%n", new TreeMap<>(outcomes));
        LoadAgents.Figures figures = desk == null ? null : desk.figures();
        if (figures != null || handoffs.get() > 0) {
            System.out.printf("  hand-offs   %d created; %d turns to a conversation with or waiting for a person, answered empty%n",
                    handoffs.get(), toPerson.get());
        }
        if (figures != null) {
            Histogram wait = figures.handoffToClaim();
            System.out.printf("  agents      %d online, capacity %d each: %d claimed (%d more refused, no longer waiting), %d resolved, %d unclaimed at the end%n",
                    agents, agentCapacity, figures.claimed(), figures.refused(), figures.resolved(), desk.unclaimed());
            System.out.printf("  to claim    p50 %s  p99 %s  max %s  (%d hand-offs, from the customer's turn to the claim)%n",
                    micros(wait, 50), micros(wait, 99), wait.getTotalCount() == 0 ? "n/a" : String.format("%.1f ms", wait.getMaxValue() / 1000.0),
                    wait.getTotalCount());
            System.out.printf("  agent API   %d errors; %d queue updates over the agent WebSocket%n", figures.errors(), figures.queueFrames());
        }
        result = new Result(sent.get(), ok, handoffs.get(), toPerson.get(), figures);
        boolean agentsClean = figures == null || figures.errors() == 0;
        return outcomes.keySet().stream().allMatch(o -> o.equals("HTTP 200")) && agentsClean ? 0 : 2;
    }

    private List<Conversation> openConversations() throws Exception {
        List<Conversation> out = java.util.Collections.synchronizedList(new ArrayList<>());
        Semaphore parallel = new Semaphore(32);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int i = 0; i < conversations; i++) {
            parallel.acquire();
            HttpRequest request = HttpRequest.newBuilder(url.resolve("/api/v1/conversations"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
            pending.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                if (r.statusCode() != 201) {
                    throw new IllegalStateException("opening a conversation: HTTP " + r.statusCode() + " " + r.body());
                }
                try {
                    JsonNode c = json.readTree(r.body());
                    out.add(new Conversation(c.get("conversationId").asText(), c.get("token").asText(), new AtomicBoolean()));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).whenComplete((v, e) -> parallel.release()));
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        return new ArrayList<>(out);
    }

    /** A conversation with no turn in flight, marked busy; null when a few random picks found none. */
    private static Conversation idle(List<Conversation> open, Random random) {
        for (int tries = 0; tries < 8; tries++) {
            Conversation c = open.get(random.nextInt(open.size()));
            if (c.busy().compareAndSet(false, true)) {
                return c;
            }
        }
        return null;
    }

    /** A percentile of a histogram of microseconds, in milliseconds. */
    private static String micros(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? "n/a" : String.format("%.1f ms", h.getValueAtPercentile(percentile) / 1000.0);
    }

    private CompletableFuture<Reply> turn(Conversation c, String text) {
        String body = json.createObjectNode().put("text", text).put("clientMessageId", UUID.randomUUID().toString()).toString();
        HttpRequest request = HttpRequest.newBuilder(url.resolve("/api/v1/conversations/" + c.id() + "/messages"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + c.token()).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> r.statusCode() == 200 ? read(r.statusCode(), r.body()) : new Reply(r.statusCode(), false, false));
    }

    /**
     * Whether a reply made a new hand-off, or came from a conversation already with a person (whose
     * reply is empty, reason {@code WITH_PERSON} or {@code WAITING_FOR_PERSON}). Only replies that
     * mention a hand-off are parsed, to keep the client's cost per turn low.
     */
    private Reply read(int status, String body) {
        if (!body.contains("HANDOFF")) {
            return new Reply(status, false, false);
        }
        try {
            JsonNode reply = json.readTree(body).path("reply");
            if (!reply.path("decision").asText().equals("HANDOFF")) {
                return new Reply(status, false, false);
            }
            boolean waiting = false;
            for (JsonNode reason : reply.path("reasons")) {
                waiting |= reason.asText().equals("WITH_PERSON") || reason.asText().equals("WAITING_FOR_PERSON");
            }
            return new Reply(status, !waiting, waiting);
        } catch (IOException e) {
            return new Reply(status, false, false);
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private ScrapedMetrics scrape() throws IOException, InterruptedException {
        HttpResponse<String> page = get("/metrics");
        if (page.statusCode() != 200) {
            throw new IllegalStateException("GET /metrics answered " + page.statusCode());
        }
        return ScrapedMetrics.parse(page.body());
    }

    private static double heapUsedMb(ScrapedMetrics m) {
        return m.sum("jvm_memory_used_bytes", s -> s.has("area", "heap")) / 1e6;
    }

    private static String millis(double seconds) {
        return Double.isNaN(seconds) ? "n/a" : Double.isInfinite(seconds) ? "> 30 s" : String.format("%.0f ms", seconds * 1000);
    }

    private List<String> readQuestions(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(json.readTree(line).get("question").asText());
            }
        }
        return out;
    }

    private static java.util.concurrent.ThreadFactory daemon() {
        return runnable -> {
            Thread t = new Thread(runnable, "keel-load");
            t.setDaemon(true);
            return t;
        };
    }
}

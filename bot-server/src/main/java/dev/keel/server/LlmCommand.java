package dev.keel.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.keel.server.llm.LlmSettings;
import dev.keel.server.llm.ModelStub;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/** {@code keel llm}: tools around the language model. */
@Command(name = "llm", mixinStandardHelpOptions = true, description = "Language model tools.",
        subcommands = LlmCommand.Bench.class)
final class LlmCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * {@code keel llm bench}: how much time Keel adds to the first token. A local stub model streams
     * after a fixed delay; the same concurrent load first goes to the stub directly, then through
     * Keel's streaming route, and the time to the first text is compared.
     */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Time to first token through Keel against a local stub model, beside the stub's own.")
    static final class Bench implements Callable<Integer> {
        private static final String QUESTION = "How long can I pause my plan?";
        private static final String REPLY = "You can pause for 15 days up to 3 months at a time [lk-pause-plan]. "
                + "The pause fee is $5 per month [lk-pause-plan].";

        @Option(names = "--conversations", defaultValue = "64", description = "Concurrent conversations (default: ${DEFAULT-VALUE}).")
        int conversations;

        @Option(names = "--turns", defaultValue = "5", description = "Turns per conversation in each run (default: ${DEFAULT-VALUE}).")
        int turns;

        @Option(names = "--runs", defaultValue = "3", description = "Runs; the median run is reported (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--delay-ms", defaultValue = "200", description = "The stub's delay before it streams (default: ${DEFAULT-VALUE}).")
        int delayMillis;

        @Option(names = "--query-embedding-cache", defaultValue = "1024",
                description = "Keel's cache of question embeddings; the bench asks one question, so 0 shows the cost of embedding it every turn (default: ${DEFAULT-VALUE}).")
        int queryEmbeddingCache;

        @Option(names = "--kb", defaultValue = "knowledge-base/articles", description = "Articles (default: ${DEFAULT-VALUE}).")
        Path kb;

        @Option(names = "--customers", defaultValue = "churn/customers/telco_churn.csv", description = "Customer table (default: ${DEFAULT-VALUE}).")
        Path customers;

        // HTTP/1.1, a connection per conversation, as separate customers have; daemon threads, so that idle ones
        // do not keep the command alive once it has printed its figures
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "llm-bench-client");
                    t.setDaemon(true);
                    return t;
                })).build();

        @Override
        public Integer call() throws Exception {
            WireMockServer stub = new WireMockServer(options().dynamicPort().containerThreads(conversations * 2 + 16)
                    .asynchronousResponseEnabled(true).asynchronousResponseThreads(conversations));
            stub.start();
            stub.stubFor(post(urlPathEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "text/event-stream").withFixedDelay(delayMillis)
                    .withBody(ModelStub.openAiStream(ModelStub.pieces(REPLY)))));
            LlmSettings llm = LlmSettings.fromEnvironment(Map.of("LLM_PROVIDER", "openai", "LLM_MODEL", "stub-model",
                    "LLM_BASE_URL", stub.baseUrl() + "/v1", "LLM_MAX_ATTEMPTS", "1"));
            Path data = Files.createTempDirectory("keel-bench");
            try (KeelServer server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, kb, customers, "customerID",
                    "Churn", "Yes", data, null, "everysec", 0.45).withLlm(llm).withQueryEmbeddingCache(queryEmbeddingCache),
                    unlimited(), System.getenv())) {
                String keel = "http://127.0.0.1:" + server.port();
                measure(keel, stub.baseUrl(), 0);
                List<double[]> results = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    double[] r = measure(keel, stub.baseUrl(), run);
                    results.add(r);
                    System.out.printf("run %d: stub p50 %.1f ms p99 %.1f ms | through Keel p50 %.1f ms p99 %.1f ms"
                            + " | Keel adds p50 %.1f ms p99 %.1f ms%n", run, r[0], r[1], r[2], r[3], r[2] - r[0], r[3] - r[1]);
                }
                results.sort((a, b) -> Double.compare(a[2] - a[0], b[2] - b[0]));
                double[] median = results.get(results.size() / 2);
                System.out.printf("median run (%d conversations, %d turns each, stub delay %d ms): Keel adds p50 %.1f ms,"
                        + " p99 %.1f ms to the first token (stub alone: p50 %.1f ms, p99 %.1f ms)%n", conversations, turns,
                        delayMillis, median[2] - median[0], median[3] - median[1], median[0], median[1]);
            } finally {
                stub.stop();
                deleteTree(data);
            }
            return 0;
        }

        /** Removes the bench's own data folder (its Redis files, index and model); what cannot be removed stays. */
        private static void deleteTree(Path root) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("could not remove " + root + ": " + e.getMessage());
            }
        }

        /**
         * The default security settings without rate limits: all the bench's traffic comes from one
         * address, at more turns a minute than one customer sends.
         */
        private static SecuritySettings unlimited() {
            SecuritySettings d = SecuritySettings.defaults();
            return new SecuritySettings(d.identitySecretFile(), d.identityKeysFile(), d.identityAudience(),
                    d.requireVerifiedIdentity(), d.trustUnverifiedCustomerIds(), d.demoIdentitySigner(),
                    d.conversationTokenTtl(), d.sessionTtl(), d.secureCookies(), d.allowedOrigins(), 0, 0, 0,
                    d.idleTimeout(), d.trustedProxies());
        }

        /**
         * Each turn through Keel is the first of its own conversation, so that asking the same question
         * again and again never becomes a hand-off for repeating it. The conversations are opened before
         * the timed turns start, so that opening them does not compete with the turns.
         *
         * @return stub p50, stub p99, Keel p50, Keel p99, in milliseconds
         */
        private double[] measure(String keel, String stub, int run) throws Exception {
            List<Double> direct = load(i -> request(stub + "/v1/chat/completions", null, "{}"), "data:");
            List<JsonObject> opened = open(keel, conversations * turns);
            List<Double> through = load(i -> {
                JsonObject c = opened.get(i);
                return request(keel + "/api/v1/conversations/" + c.getString("conversationId") + "/messages/stream",
                        c.getString("token"), new JsonObject().put("text", QUESTION)
                                .put("clientMessageId", "r" + run + "-" + i).encode());
            }, "event: delta");
            return new double[] {percentile(direct, 50), percentile(direct, 99), percentile(through, 50), percentile(through, 99)};
        }

        private List<JsonObject> open(String keel, int count) throws Exception {
            ExecutorService openers = Executors.newFixedThreadPool(8);
            try {
                List<Future<JsonObject>> futures = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    futures.add(openers.submit(() -> new JsonObject(http.send(request(keel + "/api/v1/conversations", null, "{}"),
                            HttpResponse.BodyHandlers.ofString()).body())));
                }
                List<JsonObject> opened = new ArrayList<>();
                for (Future<JsonObject> f : futures) {
                    opened.add(f.get());
                }
                return opened;
            } finally {
                openers.shutdownNow();
            }
        }

        interface Requests {
            HttpRequest make(int i);
        }

        /** Runs {@code conversations} clients in parallel, {@code turns} requests each; times the first matching line. */
        private List<Double> load(Requests requests, String firstLine) throws Exception {
            ExecutorService clients = Executors.newFixedThreadPool(conversations);
            try {
                List<Future<List<Double>>> futures = new ArrayList<>();
                for (int c = 0; c < conversations; c++) {
                    int client = c;
                    futures.add(clients.submit(() -> {
                        List<Double> times = new ArrayList<>();
                        for (int t = 0; t < turns; t++) {
                            times.add(firstLineMillis(requests.make(client + t * conversations), firstLine));
                        }
                        return times;
                    }));
                }
                List<Double> all = new ArrayList<>();
                for (Future<List<Double>> f : futures) {
                    all.addAll(f.get());
                }
                return all;
            } finally {
                clients.shutdownNow();
            }
        }

        private double firstLineMillis(HttpRequest request, String firstLine) throws Exception {
            long started = System.nanoTime();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            double elapsed = Double.NaN;
            StringBuilder body = new StringBuilder();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (Double.isNaN(elapsed) && line.startsWith(firstLine)) {
                        elapsed = (System.nanoTime() - started) / 1e6;
                    }
                    if (body.length() < 500) {
                        body.append(line).append('\n');
                    }
                }
            }
            if (Double.isNaN(elapsed)) {
                throw new IllegalStateException("no '" + firstLine + "' in the response (HTTP " + response.statusCode()
                        + ") from " + request.uri() + ": " + body);
            }
            return elapsed;
        }

        private static HttpRequest request(String url, String token, String body) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return b.build();
        }

        private static double percentile(List<Double> values, int p) {
            List<Double> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, index));
        }
    }
}

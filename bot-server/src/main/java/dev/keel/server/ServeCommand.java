package dev.keel.server;

import dev.keel.server.llm.LlmSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code keel serve}: starts the chat server with its embedded defaults. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start the Keel server (embedded Redis unless --redis-url is given).",
                "Every option --foo-bar can also be set by the environment variable KEEL_FOO_BAR, or by the key"
                        + " foo-bar in the YAML file of --config; the command line wins, then the environment, then the file."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file of settings, keyed by option name (also KEEL_CONFIG). Unknown keys are refused.")
    Path config;

    @Option(names = "--redis-url", paramLabel = "URL",
            description = "Use this Redis (redis://host:port, also REDIS_URL) instead of starting an embedded one.")
    String redisUrl;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--kb", defaultValue = "knowledge-base/articles",
            description = "Folder of knowledge-base articles (default: ${DEFAULT-VALUE}).")
    Path kb;

    @Option(names = "--customers", defaultValue = "churn/customers/telco_churn.csv",
            description = "Customer table (CSV) the churn model is trained on and scores (default: ${DEFAULT-VALUE}).")
    Path customers;

    @Option(names = "--customer-id-column", defaultValue = "customerID", description = "Customer id column (default: ${DEFAULT-VALUE}).")
    String idColumn;

    @Option(names = "--label-column", defaultValue = "Churn", description = "Churn label column (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--positive", defaultValue = "Yes", description = "Label value meaning the customer left (default: ${DEFAULT-VALUE}).")
    String positive;

    @Option(names = "--data", defaultValue = "data",
            description = "Folder for Keel's own files: embedded Redis, the churn model (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--redis-fsync", defaultValue = "always",
            description = "Embedded Redis appendfsync policy: always (no acknowledged write is lost) or everysec (faster; up to a second of writes may be lost on a machine crash). Default: ${DEFAULT-VALUE}.")
    String fsync;

    @Option(names = "--min-answerability", defaultValue = "0.45",
            description = "Below this retrieval answerability the bot says the knowledge base does not cover the question (default: ${DEFAULT-VALUE}).")
    double minAnswerability;

    @Option(names = "--churn-high-threshold",
            description = "Churn probability from which a customer is high risk (default: the model's, chosen on validation data).")
    Double churnHigh;

    @Option(names = "--churn-medium-threshold",
            description = "Churn probability from which a customer is medium risk (default: the model's, the base churn rate).")
    Double churnMedium;

    @Option(names = "--query-embedding-cache", defaultValue = "1024",
            description = "How many recent distinct questions keep their embedding, so a question asked again skips the model (0: none; default: ${DEFAULT-VALUE}).")
    int queryEmbeddingCache;

    @Option(names = "--llm-provider", defaultValue = "none",
            description = "Language model provider: openai (any OpenAI-compatible endpoint), ollama or none (default: ${DEFAULT-VALUE}).")
    String llmProvider;

    @Option(names = "--llm-base-url",
            description = "Model endpoint; defaults to the provider's usual address.")
    String llmBaseUrl;

    @Option(names = "--llm-model", description = "Model name.")
    String llmModel;

    @Option(names = "--webhook-url", paramLabel = "URL",
            description = "POST signed webhooks (high-risk customer opened a chat, hand-off created, conversation resolved) to this URL.")
    String webhookUrl;

    @Option(names = "--webhook-secret", paramLabel = "SECRET",
            description = "HMAC-SHA256 key of the webhook signatures (at least 16 characters); required with --webhook-url. Prefer KEEL_WEBHOOK_SECRET.")
    String webhookSecret;

    @Option(names = "--webhook-max-attempts", defaultValue = "8",
            description = "Attempts per webhook delivery before it is given up (default: ${DEFAULT-VALUE}).")
    int webhookMaxAttempts;

    @Option(names = "--stop-delay-seconds", defaultValue = "0",
            description = "On SIGTERM, how long the node keeps serving open conversations (readiness 503, new conversations refused) before it closes, so a load balancer can take it out first (default: ${DEFAULT-VALUE}).")
    int stopDelaySeconds;

    @CommandLine.Mixin
    SecurityOptions security;

    @CommandLine.Mixin
    EscalationOptions escalation;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LLM_PROVIDER", llmProvider);
        if (llmBaseUrl != null) {
            env.put("LLM_BASE_URL", llmBaseUrl);
        }
        if (llmModel != null) {
            env.put("LLM_MODEL", llmModel);
        }
        if (stopDelaySeconds < 0 || stopDelaySeconds > 300) {
            throw new IllegalArgumentException("--stop-delay-seconds must be from 0 to 300, not " + stopDelaySeconds);
        }
        if (!Files.isRegularFile(customers)) {
            // the defaults are paths inside the checkout
            throw new IllegalArgumentException("the customer table " + customers + " was not found: run Keel from the"
                    + " checkout's top folder, or name the table with --customers (and the articles with --kb)");
        }
        KeelServer server = KeelServer.start(new KeelServer.Settings(host, port, kb, customers, idColumn, labelColumn,
                positive, data, redisUrl, fsync, minAnswerability, churnHigh, churnMedium, LlmSettings.fromEnvironment(env),
                new Webhooks.Settings(webhookUrl, webhookSecret, webhookMaxAttempts, Webhooks.Settings.DEFAULT_FIRST_RETRY),
                queryEmbeddingCache),
                escalation.config(minAnswerability), security.settings(), System.getenv());
        CountDownLatch stopped = new CountDownLatch(1);
        server.closedOnExit();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(Duration.ofSeconds(stopDelaySeconds));
            stopped.countDown();
        }, "keel-shutdown"));
        stopped.await();
        return 0;
    }

}

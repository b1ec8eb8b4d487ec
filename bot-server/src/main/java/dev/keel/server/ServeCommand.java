package dev.keel.server;

import dev.keel.server.llm.LlmSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code keel serve}: starts the chat server with its embedded defaults. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the Keel server (embedded Redis unless REDIS_URL is set).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "${env:KEEL_PORT:-8080}", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "${env:KEEL_HOST:-127.0.0.1}", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--kb", defaultValue = "${env:KEEL_KB:-knowledge-base/articles}",
            description = "Folder of knowledge-base articles (default: ${DEFAULT-VALUE}).")
    Path kb;

    @Option(names = "--customers", defaultValue = "${env:KEEL_CUSTOMERS:-churn/customers/telco_churn.csv}",
            description = "Customer table (CSV) the churn model is trained on and scores (default: ${DEFAULT-VALUE}).")
    Path customers;

    @Option(names = "--customer-id-column", defaultValue = "customerID", description = "Customer id column (default: ${DEFAULT-VALUE}).")
    String idColumn;

    @Option(names = "--label-column", defaultValue = "Churn", description = "Churn label column (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--positive", defaultValue = "Yes", description = "Label value meaning the customer left (default: ${DEFAULT-VALUE}).")
    String positive;

    @Option(names = "--data", defaultValue = "${env:KEEL_DATA:-data}",
            description = "Folder for Keel's own files: embedded Redis, the churn model (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--redis-fsync", defaultValue = "${env:KEEL_REDIS_FSYNC:-always}",
            description = "Embedded Redis appendfsync policy: always (no acknowledged write is lost) or everysec (faster; up to a second of writes may be lost on a machine crash). Default: ${DEFAULT-VALUE}.")
    String fsync;

    @Option(names = "--min-answerability", defaultValue = "0.45",
            description = "Below this retrieval answerability the bot says the knowledge base does not cover the question (default: ${DEFAULT-VALUE}).")
    double minAnswerability;

    @Option(names = "--llm-provider", defaultValue = "${env:LLM_PROVIDER:-none}",
            description = "Language model provider: openai (any OpenAI-compatible endpoint), ollama or none (default: ${DEFAULT-VALUE}).")
    String llmProvider;

    @Option(names = "--llm-base-url", defaultValue = "${env:LLM_BASE_URL}",
            description = "Model endpoint; defaults to the provider's usual address.")
    String llmBaseUrl;

    @Option(names = "--llm-model", defaultValue = "${env:LLM_MODEL}", description = "Model name.")
    String llmModel;

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
        KeelServer server = KeelServer.start(new KeelServer.Settings(host, port, kb, customers, idColumn, labelColumn,
                positive, data, System.getenv("REDIS_URL"), fsync, minAnswerability, LlmSettings.fromEnvironment(env)));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "keel-shutdown"));
        stopped.await();
        return 0;
    }

}

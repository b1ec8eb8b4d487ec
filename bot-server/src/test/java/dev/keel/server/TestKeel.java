package dev.keel.server;

import java.nio.file.Files;
import java.nio.file.Path;

/** Starts the real server in process on the bundled articles and customer table, in a fresh data folder. */
final class TestKeel {
    static final Path ROOT = Path.of(System.getProperty("keel.root", ".."));

    private TestKeel() {
    }

    record Running(KeelServer server, Path data) {
        String agentToken() throws java.io.IOException {
            return Files.readString(data.resolve("agent-token")).strip();
        }
    }

    static Running start(EscalationConfig config) throws Exception {
        Path data = Files.createTempDirectory("keel-test");
        KeelServer server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, ROOT.resolve("knowledge-base/articles"),
                ROOT.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", data, null, "everysec", 0.45),
                config);
        return new Running(server, data);
    }
}

package dev.keel.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Starts the real server in process on the bundled articles and customer table, in a fresh data folder. */
final class TestKeel {
    static final Path ROOT = Path.of(System.getProperty("keel.root", ".."));

    private TestKeel() {
    }

    /** @param agentToken the service token, which agent calls carry with the agent's name in a header */
    record Running(KeelServer server, Path data, String agentToken) {
        /** What the company's backend gives a signed-in customer: their id, signed with the identity secret. */
        String identityToken(String customerId) throws Exception {
            return IdentityTokens.hs256(IdentityTokens.SECRET, customerId, IdentityTokens.AUDIENCE, Duration.ofMinutes(30));
        }
    }

    /**
     * Starts the server with the identity secret of {@link IdentityTokens}, a service token, and no
     * per-conversation rate limit.
     */
    static Running start(EscalationConfig config) throws Exception {
        return start(config, Webhooks.Settings.none());
    }

    /** As {@link #start(EscalationConfig)}, delivering webhooks so. */
    static Running start(EscalationConfig config, Webhooks.Settings webhooks) throws Exception {
        Path data = Files.createTempDirectory("keel-test");
        IdentityTokens tokens = new IdentityTokens(Files.createDirectories(data.resolve("identity")));
        String agentToken = UUID.randomUUID().toString();
        KeelServer server = KeelServer.start(new KeelServer.Settings("127.0.0.1", 0, ROOT.resolve("knowledge-base/articles"),
                        ROOT.resolve("churn/customers/telco_churn.csv"), "customerID", "Churn", "Yes", data, null, "everysec", 0.45)
                        .withWebhooks(webhooks),
                config,
                SecuredKeel.settings(tokens.secretFile, tokens.keysFile, IdentityTokens.AUDIENCE, List.of(), 0, Duration.ofSeconds(60)),
                Map.of("KEEL_AGENT_TOKEN", agentToken));
        return new Running(server, data, agentToken);
    }
}

package dev.keel.server;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options of {@code keel serve} about identity, sessions and edge limits; see {@link SecuritySettings}. */
final class SecurityOptions {
    @Option(names = "--identity-secret-file", paramLabel = "FILE",
            description = "File holding the HS256 secret (at least 32 bytes) your backend signs customer identity tokens with.")
    Path identitySecretFile;

    @Option(names = "--identity-keys", paramLabel = "FILE",
            description = "JWKS file of identity verification keys (RS256, ES256 public keys or HS256 secrets), chosen by kid.")
    Path identityKeys;

    @Option(names = "--identity-audience", defaultValue = SecuritySettings.DEFAULT_AUDIENCE,
            description = "The aud claim identity tokens must carry (default: ${DEFAULT-VALUE}).")
    String identityAudience;

    @Option(names = "--require-verified-identity", defaultValue = "false",
            description = "Refuse (401) a customerId that comes without a valid identityToken (default: ${DEFAULT-VALUE}).")
    boolean requireVerifiedIdentity;

    @Option(names = "--trust-unverified-customer-ids", defaultValue = "false",
            description = "Development only: believe a bare customerId as if verified (default: ${DEFAULT-VALUE}).")
    boolean trustUnverifiedCustomerIds;

    @Option(names = "--demo-identity-signer", defaultValue = "false",
            description = "Development only: POST /api/v1/dev/identity-token signs any customer id, for the demo page (default: ${DEFAULT-VALUE}).")
    boolean demoIdentitySigner;

    @Option(names = "--conversation-token-ttl-minutes", defaultValue = "1440",
            description = "How long a conversation token is accepted after the conversation opens (default: ${DEFAULT-VALUE}).")
    long conversationTokenTtlMinutes;

    @Option(names = "--session-ttl-minutes", defaultValue = "480",
            description = "How long an agent or admin session lasts (default: ${DEFAULT-VALUE}).")
    long sessionTtlMinutes;

    @Option(names = "--secure-cookies", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Mark the session cookie Secure (HTTPS only); --no-secure-cookies for plain-HTTP development (default: ${DEFAULT-VALUE}).")
    boolean secureCookies;

    @Option(names = "--allowed-origins", split = ",", paramLabel = "ORIGIN",
            description = "Exact site origins (https://shop.example.com) whose pages may call the widget routes across origins.")
    List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--rate-per-ip", defaultValue = "1200",
            description = "API requests per minute from one client address, 0 for no limit (default: ${DEFAULT-VALUE}).")
    int ratePerIp;

    @Option(names = "--rate-per-conversation", defaultValue = "30",
            description = "Messages per minute in one conversation, 0 for no limit (default: ${DEFAULT-VALUE}).")
    int ratePerConversation;

    @Option(names = "--rate-global", defaultValue = "1000",
            description = "API requests per second on this node from everyone, 0 for no limit (default: ${DEFAULT-VALUE}).")
    int rateGlobal;

    @Option(names = "--idle-timeout-seconds", defaultValue = "60",
            description = "Close a connection that sends nothing for this long (default: ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds;

    @Option(names = "--trusted-proxies", split = ",", paramLabel = "ADDRESS",
            description = "Addresses of reverse proxies or load balancers whose X-Forwarded-For names the client.")
    List<String> trustedProxies = new ArrayList<>();

    SecuritySettings settings() {
        return new SecuritySettings(identitySecretFile, identityKeys, identityAudience, requireVerifiedIdentity,
                trustUnverifiedCustomerIds, demoIdentitySigner, Duration.ofMinutes(conversationTokenTtlMinutes),
                Duration.ofMinutes(sessionTtlMinutes), secureCookies, List.copyOf(allowedOrigins), ratePerIp,
                ratePerConversation, rateGlobal, Duration.ofSeconds(idleTimeoutSeconds), List.copyOf(trustedProxies));
    }
}

package dev.keel.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Who may do what, and how much: identity verification of widget customers, conversation tokens,
 * console sessions, and the edge limits.
 *
 * @param identitySecretFile       file holding the HS256 secret the company's backend signs customer ids with; or null
 * @param identityKeysFile         JWKS file of verification keys (RSA, EC or oct, chosen by {@code kid}); or null
 * @param identityAudience         the {@code aud} an identity token must carry
 * @param requireVerifiedIdentity  when true a bare {@code customerId} without a valid identity token is refused
 * @param trustUnverifiedCustomerIds development only: a bare {@code customerId} is believed as if verified
 * @param demoIdentitySigner       development only: {@code POST /api/v1/dev/identity-token} signs any customer id
 * @param conversationTokenTtl     how long a conversation token stays valid after the conversation opens
 * @param sessionTtl               how long a console session lasts without signing in again
 * @param secureCookies            whether the session cookie carries {@code Secure} (off only for plain-HTTP development)
 * @param allowedOrigins           the exact site origins whose pages may call the widget routes across origins
 * @param perIpPerMinute           API requests one client address may make in a minute (0: unlimited)
 * @param perConversationPerMinute messages one conversation may post in a minute (0: unlimited)
 * @param globalPerSecond          API requests the node takes in a second from everyone (0: unlimited)
 * @param idleTimeout              a connection that sends nothing for this long is closed
 * @param trustedProxies           addresses of proxies whose {@code X-Forwarded-For} is believed for the client address
 */
record SecuritySettings(Path identitySecretFile, Path identityKeysFile, String identityAudience,
                        boolean requireVerifiedIdentity, boolean trustUnverifiedCustomerIds, boolean demoIdentitySigner,
                        Duration conversationTokenTtl, Duration sessionTtl, boolean secureCookies,
                        List<String> allowedOrigins, int perIpPerMinute, int perConversationPerMinute,
                        int globalPerSecond, Duration idleTimeout, List<String> trustedProxies) {

    static final String DEFAULT_AUDIENCE = "keel";

    /** What {@code keel serve} uses when no option says otherwise. */
    static SecuritySettings defaults() {
        return new SecuritySettings(null, null, DEFAULT_AUDIENCE, false, false, false, Duration.ofHours(24),
                Duration.ofHours(8), true, List.of(), 1200, 30, 1000, Duration.ofSeconds(60), List.of());
    }
}

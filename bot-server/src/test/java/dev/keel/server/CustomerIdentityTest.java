package dev.keel.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Identity tokens are believed only with a good signature, audience and expiry; nothing else makes a customer. */
class CustomerIdentityTest {
    private static IdentityTokens tokens;
    private static CustomerIdentity identity;

    @BeforeAll
    static void keys() throws Exception {
        tokens = new IdentityTokens(Files.createTempDirectory("keel-identity"));
        identity = CustomerIdentity.from(settings(false, false));
    }

    private static SecuritySettings settings(boolean required, boolean trustUnverified) {
        SecuritySettings d = SecuritySettings.defaults();
        return new SecuritySettings(tokens.secretFile, tokens.keysFile, IdentityTokens.AUDIENCE, required, trustUnverified,
                false, d.conversationTokenTtl(), d.sessionTtl(), true, List.of(), 0, 0, 0, d.idleTimeout(), List.of());
    }

    private static void refused(String token, String code) {
        assertThatThrownBy(() -> identity.resolve(token, null)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.code()).isEqualTo(code);
        });
    }

    @Test
    void acceptsEachConfiguredKindOfKey() throws Exception {
        assertThat(identity.resolve(IdentityTokens.hs256(IdentityTokens.SECRET, "CUST-B", IdentityTokens.AUDIENCE,
                Duration.ofMinutes(5)), null)).isEqualTo(new CustomerIdentity.Who("CUST-B", null));
        assertThat(identity.resolve(tokens.rs256("rsa-2026", "CUST-R"), "CUST-R").customerId()).isEqualTo("CUST-R");
        assertThat(identity.resolve(tokens.es256("CUST-E"), null).customerId()).isEqualTo("CUST-E");
    }

    @Test
    void refusesWrongExpiredUnsignedWrongKeyAndWrongKidTokens() throws Exception {
        refused("abc123", "identity_token_invalid");
        refused(IdentityTokens.unsigned("CUST-B"), "identity_token_invalid");
        refused(IdentityTokens.hs256(IdentityTokens.SECRET, "CUST-B", IdentityTokens.AUDIENCE, Duration.ofMinutes(-10)),
                "identity_token_expired");
        refused(IdentityTokens.hs256(IdentityTokens.SECRET, "CUST-B", "another-app", Duration.ofMinutes(5)),
                "identity_token_wrong_audience");
        refused(IdentityTokens.hs256("some-other-secret-that-is-also-long-enough", "CUST-B", IdentityTokens.AUDIENCE,
                Duration.ofMinutes(5)), "identity_token_invalid");
        refused(IdentityTokens.rs256WithStrangeKey("rsa-2026", "CUST-B"), "identity_token_invalid");
        refused(tokens.rs256("rsa-2019", "CUST-B"), "identity_token_invalid");
        refused(tokens.hs256WithPublicKeyAsSecret("CUST-B"), "identity_token_invalid");
    }

    @Test
    void aBareCustomerIdIsOnlyAClaimUnlessDevelopmentTrustIsOn() throws Exception {
        assertThat(identity.resolve(null, "CUST-B")).isEqualTo(new CustomerIdentity.Who(null, "CUST-B"));
        assertThat(identity.resolve(null, null).verified()).isFalse();
        assertThat(CustomerIdentity.from(settings(false, true)).resolve(null, "CUST-B").customerId()).isEqualTo("CUST-B");
        assertThatThrownBy(() -> identity.resolve(tokens.es256("CUST-E"), "CUST-B"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("identity_mismatch"));
    }

    @Test
    void mandatoryVerificationRefusesABareCustomerIdButLetsAnonymousVisitorsChat() throws Exception {
        CustomerIdentity strict = CustomerIdentity.from(settings(true, false));
        assertThatThrownBy(() -> strict.resolve(null, "CUST-B"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("identity_required"));
        assertThat(strict.resolve(null, null)).isEqualTo(CustomerIdentity.Who.ANONYMOUS);
    }

    @Test
    void withoutKeysNoTokenCanVerify() throws Exception {
        CustomerIdentity none = CustomerIdentity.from(SecuritySettings.defaults());
        assertThatThrownBy(() -> none.resolve(tokens.es256("CUST-E"), null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("identity_not_configured"));
    }
}
